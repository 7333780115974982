from voiceglimmer.cli import main

raise SystemExit(main())
