import Tools

Tool.send.main()
