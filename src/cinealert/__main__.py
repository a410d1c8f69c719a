from cinealert.cli import main

raise SystemExit(main())
