import ArgumentParser

extension MPCCommand {
  /// Every subcommand, in the order `mpc --help` lists them.
  static let allSubcommands: [any ParsableCommand.Type] = [
    KeygenCommand.self,
    StudyCommand.self,
    BudgetCommand.self,
    PrivacyCommand.self,
  ]
}
