import ArgumentParser

extension MPCCommand {
  /// Every subcommand, in the order `mpc --help` lists them.
  static let allSubcommands: [any ParsableCommand.Type] = [
    DemoCommand.self,
    KeygenCommand.self,
    KeyCommand.self,
    StudyCommand.self,
    QueryCommand.self,
    RunCommand.self,
    SynthCommand.self,
    BudgetCommand.self,
    AuditCommand.self,
    BenchCommand.self,
    DoctorCommand.self,
    PrivacyCommand.self,
    VerifyVectorsCommand.self,
    VectorsCommand.self,
  ]
}
