import Tools

Tool.query.main()
