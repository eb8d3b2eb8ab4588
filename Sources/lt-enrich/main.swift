import Tools

Tool.enrich.main()
