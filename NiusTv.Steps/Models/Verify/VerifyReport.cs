namespace NiusTv.Steps.Models.Verify;

/// <summary>One compared tensor: ours against the reference recorded by the original PyTorch code.</summary>
public sealed record VerifyRow(string Output, double MaxAbsDiff, double Tolerance)
{
    public bool Passed => MaxAbsDiff <= Tolerance;
}

/// <summary>The outcome of `nius models verify` on one fixture folder.</summary>
public sealed record VerifyReport(string Model, string Folder, IReadOnlyList<VerifyRow> Rows, IReadOnlyList<string> Notes)
{
    public bool Passed => Rows.Count > 0 && Rows.All(r => r.Passed);
}
