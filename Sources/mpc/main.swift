import MPCCommands

await MPCMain.main()
