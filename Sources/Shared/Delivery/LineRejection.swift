/// Why an input line is not sent at all: the line is answered `rejected` and dead-lettered as it arrived.
struct LineRejection: Error {
    var message: String
    var hint = ""
    var id: String?
    var integration: String?
}
