import ArgumentParser

extension MPCCommand {
  /// Every subcommand, in the order `mpc --help` lists them.
  static let allSubcommands: [any ParsableCommand.Type] = [
    PrivacyCommand.self, VerifyVectorsCommand.self, VectorsCommand.self,
  ]
}
