"""The built-in format plugins: PDF, tables, code, documents and plain text."""
