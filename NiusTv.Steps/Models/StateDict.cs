using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace NiusTv.Steps.Models;

/// <summary>A checkpoint file that cannot be used: unreadable, or not matching the module it is loaded into.
/// The message names every missing, unexpected and mis-shaped key at once, so one run shows the whole mismatch.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads PyTorch state dicts (torch.save of a dict of tensors, zip format) through TorchSharp.PyBridge and
/// loads them into modules whose parameter names mirror the original Python module tree.</summary>
public static class StateDict
{
    /// <summary>How to turn what PyBridge rejects into what it reads: one line of PyTorch, run once.</summary>
    public const string ConversionHint =
        "PyBridge reads only state dicts saved in PyTorch's zip format (torch >= 1.6). Convert once with PyTorch: " +
        "python3 -c \"import torch; m = torch.load('IN', map_location='cpu'); " +
        "torch.save(m.state_dict() if hasattr(m, 'state_dict') else m, 'OUT')\" (see docs/models.md, section Neural models).";

    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: no such checkpoint file");
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"{path}: not a readable PyTorch state dict ({e.GetType().Name}: {e.Message}). " +
                "The file may be truncated or corrupted; if it is a pickled whole model or an old-format file: " + ConversionHint, e);
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Value is not Tensor t)
                throw new CheckpointException($"{path}: entry '{entry.Key}' is a {entry.Value?.GetType().Name ?? "null"}, not a tensor; " +
                    "this looks like a pickled object rather than a state dict. " + ConversionHint);
            result[(string)entry.Key] = t;
        }
        return result;
    }

    /// <summary>Copies every tensor into <paramref name="module"/>'s parameters and buffers, after checking that the
    /// names and shapes match exactly. <paramref name="rename"/> maps a checkpoint key to the module's key (or null to
    /// drop it), for checkpoints whose layout is transformed on load (weight norm folding).</summary>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var own = module.state_dict();
        var missing = own.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        var unexpected = tensors.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var misShaped = own.Keys.Where(tensors.ContainsKey)
            .Where(k => !own[k].shape.SequenceEqual(tensors[k].shape))
            .Select(k => $"{k}: checkpoint [{string.Join(", ", tensors[k].shape)}], model [{string.Join(", ", own[k].shape)}]").ToList();
        if (missing.Count + unexpected.Count + misShaped.Count > 0)
        {
            var lines = new List<string> { $"{source}: checkpoint does not match the {module.GetName()} configuration" };
            if (missing.Count > 0) lines.Add($"  missing keys ({missing.Count}): {string.Join(", ", missing)}");
            if (unexpected.Count > 0) lines.Add($"  unexpected keys ({unexpected.Count}): {string.Join(", ", unexpected)}");
            if (misShaped.Count > 0) lines.Add($"  wrong shapes ({misShaped.Count}): {string.Join("; ", misShaped)}");
            lines.Add("  (check config.json beside the weights: its sizes must be those the checkpoint was trained with)");
            throw new CheckpointException(string.Join(Environment.NewLine, lines));
        }
        using var _ = no_grad();
        foreach (var (key, target) in own)
            target.copy_(tensors[key].to(target.dtype, target.device));
    }

    public static void LoadInto(nn.Module module, string path) => LoadInto(module, Read(path), path);
}
