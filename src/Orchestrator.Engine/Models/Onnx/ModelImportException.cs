namespace Orchestrator.Engine.Models.Onnx;

/// <summary>An ONNX file or import option refused, with one line saying why; nothing was written.</summary>
public sealed class ModelImportException(string message) : Exception(message);
