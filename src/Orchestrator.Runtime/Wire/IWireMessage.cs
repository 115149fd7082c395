namespace Orchestrator.Runtime.Wire;

/// <summary>
/// A message that crosses the network: between nodes (the coordinator, the slots, the operations actors) or between
/// the CLI's client and a node. It travels through <see cref="WireSerializer"/> under the short name
/// <see cref="WireMessages"/> gives its type; a type marked so but not registered there stops every actor system at
/// start (<see cref="WireMessages.EnsureRegistered"/>), and a type not marked so is refused on every remote send.
/// </summary>
public interface IWireMessage;
