namespace Orchestrator.Domain.Data;

/// <summary>The seven CXR classes of the dynamic fine-tuning paper (Table 1), in its order; the index is the label.</summary>
public static class CxrClasses
{
    public static readonly IReadOnlyList<string> Names =
    [
        "Pneumonia", "COVID-19", "Tuberculosis", "Pleural Effusion", "Pneumothorax", "Pulmonary Edema", "Atelectasis",
    ];

    /// <summary>Images per class in the paper's An Giang dataset (15,416 in all).</summary>
    public static readonly IReadOnlyList<int> PaperCounts = [10398, 2456, 1070, 718, 404, 265, 105];
}
