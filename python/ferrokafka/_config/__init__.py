"""The producer's options, in modules of one job each; `ferrokafka.config` is the public face.

- `constants`: the ``DEFAULT_*`` values and the types of option values;
- `spec`: what is known about one option (`OptionSpec`, `Option`) and how a field declares it;
- `checks`: one typed check per kind of value, each also parsing the value from text;
- `producer_config`: `ProducerConfig`, every option with its Java name, default and doc;
- `rules`: the checks and defaults that involve several options (Java's explicit-vs-default);
- `arguments`: `ProducerOptions`, the keyword arguments as a TypedDict for type checkers, and
  how ``Producer(bootstrap_servers, config=..., **options)`` becomes a config;
- `names`: dotted Java/librdkafka names and `from_config` (``.properties``-style input);
- `jaas`: ``sasl.jaas.config`` and the other Java options translated rather than mapped;
- `docs`: the options' sections, the per-option help text, `ProducerConfig`'s docstring and
  ``docs/CONFIGURATION.md``, all from the same table (``python -m ferrokafka._config`` rewrites
  the file).
"""
