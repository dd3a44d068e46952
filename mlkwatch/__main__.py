from mlkwatch.cli import main

raise SystemExit(main())
