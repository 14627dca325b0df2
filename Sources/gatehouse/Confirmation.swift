import ArgumentParser
import Foundation

/// `--yes` for commands that destroy data (tenant, client and user deletion, provider removal,
/// session revocation, template reset).
///
/// Without `--yes`, an interactive terminal is asked to type the name of what is destroyed; a
/// script (no terminal on stdin) gets a usage error (exit 64) and nothing happens.
struct Confirmation: ParsableArguments {
    @Flag(name: .long, help: "Confirm the deletion without asking (required when stdin is not a terminal).")
    var yes = false

    /// Returns when the caller confirmed destroying `what` (e.g. "tenant acme and all its data"),
    /// by `--yes` or by typing `name` at the prompt.
    /// - Throws: `ValidationError` (exit 64) otherwise.
    func require(_ what: String, typing name: String) throws {
        if yes { return }
        guard isatty(STDIN_FILENO) == 1 else {
            throw ValidationError("this deletes \(what); pass --yes to confirm")
        }
        FileHandle.standardError.write(Data("This deletes \(what). Type '\(name)' to confirm: ".utf8))
        guard let answer = readLine(strippingNewline: true), answer.trimmingCharacters(in: .whitespaces) == name else {
            throw ValidationError("not confirmed; nothing was deleted")
        }
    }
}
