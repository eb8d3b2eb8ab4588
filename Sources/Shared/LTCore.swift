// Everything that imports Shared sees LTCore's lines, JSON, envelopes and errors as its own.
@_exported import LTCore
