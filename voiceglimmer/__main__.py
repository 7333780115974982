from voiceglimmer.commands.main import main

raise SystemExit(main())
