//! `value_class!`: the one way the binding declares a class that carries values across it
//! (decoded responses, request inputs, the accumulator's answers), so that each has typed, named,
//! read-only fields that `_native.pyi` declares and stubtest checks, instead of a positional
//! tuple whose order only a test at run time would catch.

/// A frozen pyclass with `__new__` (every field, in order), `__eq__`, `__hash__` and `__repr__`
/// over its fields, and `__reduce__` so that it pickles.
macro_rules! value_class {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$field_doc:meta])* $field:ident : $ty:ty ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[pyclass(module = "ferrokafka._native", frozen, get_all)]
        pub struct $name {
            $( $(#[$field_doc])* pub $field: $ty, )+
        }

        #[pymethods]
        impl $name {
            // As many arguments as the class has fields.
            #[allow(clippy::too_many_arguments)]
            #[new]
            #[pyo3(signature = ($($field),+))]
            fn new($($field: $ty),+) -> Self {
                Self { $($field),+ }
            }

            fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                let Ok(other) = other.cast::<Self>() else {
                    return Ok(py.NotImplemented());
                };
                let equal = self.fields(py)?.eq(other.get().fields(py)?)?;
                Ok(pyo3::types::PyBool::new(py, equal).to_owned().into_any().unbind())
            }

            fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
                self.fields(py)?.hash()
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                const NAMES: &[&str] = &[$(stringify!($field)),+];
                let values = self.fields(py)?;
                let mut parts = Vec::with_capacity(NAMES.len());
                for (name, value) in NAMES.iter().zip(values.iter()) {
                    parts.push(format!("{name}={}", value.repr()?));
                }
                Ok(format!("{}({})", stringify!($name), parts.join(", ")))
            }

            fn __reduce__<'py>(
                slf: &Bound<'py, Self>,
                py: Python<'py>,
            ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, pyo3::types::PyTuple>)> {
                Ok((slf.get_type().into_any(), slf.get().fields(py)?))
            }
        }

        impl $name {
            fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
                use pyo3::IntoPyObjectExt;
                pyo3::types::PyTuple::new(py, [$((&self.$field).into_bound_py_any(py)?),+])
            }
        }
    };
}

pub(crate) use value_class;
