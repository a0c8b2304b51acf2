"""Type stubs for the Rust extension module (rust/src/bindings/)."""

__version__: str
