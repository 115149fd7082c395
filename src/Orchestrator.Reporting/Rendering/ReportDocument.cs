using Orchestrator.Reporting.Reports;

namespace Orchestrator.Reporting.Rendering;

/// <summary>A report laid out as a sequence of blocks, rendered alike to Markdown and HTML.</summary>
public sealed record ReportDocument(string Title, IReadOnlyList<DocumentBlock> Blocks);

public abstract record DocumentBlock
{
    // Closed: the renderers handle exactly the blocks of this file.
    private protected DocumentBlock() { }
}

public sealed record Heading(int Level, string Text) : DocumentBlock;

public sealed record Paragraph(string Text) : DocumentBlock;

public sealed record BulletList(IReadOnlyList<string> Items) : DocumentBlock;

public sealed record TableBlock(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) : DocumentBlock;

public sealed record FigureBlock(Figure Figure) : DocumentBlock;
