from tuirag.cli.main import main

raise SystemExit(main())
