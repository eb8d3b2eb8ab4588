import Tools

Tool.rollup.main()
