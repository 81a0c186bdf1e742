"""The `tuirag` command line: one module per subcommand, sharing `Services`."""
