using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NiusTv.Steps.Speech.Tacotron2;

// Mirrors NVIDIA/tacotron2 model.py and layers.py so that state_dict keys match. Field names are the Python attribute
// names on purpose: TorchSharp's RegisterComponents registers submodules under their field names. Dropout that
// depends on eval mode is left out (inference only); the prenet's always-on dropout is a switch (PrenetDropout).
#pragma warning disable IDE1006

/// <summary>layers.LinearNorm: a Linear inside "linear_layer".</summary>
public sealed class LinearNorm : Module<Tensor, Tensor>
{
    private readonly Linear linear_layer;
    public LinearNorm(long i, long o, bool bias = true) : base(nameof(LinearNorm)) { linear_layer = Linear(i, o, hasBias: bias); RegisterComponents(); }
    public override Tensor forward(Tensor x) => linear_layer.call(x);
}

/// <summary>layers.ConvNorm: a Conv1d inside "conv", 'same' padding for odd kernels.</summary>
public sealed class ConvNorm : Module<Tensor, Tensor>
{
    private readonly Conv1d conv;
    public ConvNorm(long i, long o, long k, bool bias = true) : base(nameof(ConvNorm)) { conv = Conv1d(i, o, k, padding: (k - 1) / 2, bias: bias); RegisterComponents(); }
    public override Tensor forward(Tensor x) => conv.call(x);
}

public sealed class Prenet : Module<Tensor, Tensor>
{
    private readonly ModuleList<LinearNorm> layers = new();
    public Prenet(long inDim, long size) : base(nameof(Prenet))
    {
        layers.Add(new LinearNorm(inDim, size, bias: false));
        layers.Add(new LinearNorm(size, size, bias: false));
        RegisterComponents();
    }

    /// <summary>NVIDIA's inference keeps dropout 0.5 on here even in eval mode, and the trained model expects it.
    /// Off only for equivalence checks, where a random stream cannot be matched.</summary>
    public bool Dropout { get; set; } = true;

    public override Tensor forward(Tensor x)
    {
        foreach (var l in layers)
        {
            x = functional.relu(l.call(x));
            if (Dropout) x = functional.dropout(x, 0.5, training: true);
        }
        return x;
    }
}

public sealed class Encoder : Module<Tensor, Tensor>
{
    private readonly ModuleList<Sequential> convolutions = new();
    private readonly LSTM lstm;

    public Encoder(Tacotron2Config c) : base(nameof(Encoder))
    {
        for (var i = 0; i < c.EncoderNConvolutions; i++)
            convolutions.Add(Sequential(("0", new ConvNorm(c.EncoderEmbeddingDim, c.EncoderEmbeddingDim, c.EncoderKernelSize)),
                ("1", (Module<Tensor, Tensor>)BatchNorm1d(c.EncoderEmbeddingDim))));
        lstm = LSTM(c.EncoderEmbeddingDim, c.EncoderEmbeddingDim / 2, 1, batchFirst: true, bidirectional: true);
        RegisterComponents();
    }

    public Tensor Convs(Tensor x)
    {
        foreach (var conv in convolutions) x = functional.relu(conv.call(x));
        return x;
    }

    public override Tensor forward(Tensor x) => Run(x, null, null);

    /// <summary>x [B, E, T] embedded text. With lengths, each row's LSTM runs over its valid prefix only, as
    /// pack_padded_sequence does, and padded outputs are 0; without, the whole row (Encoder.inference).</summary>
    public Tensor Run(Tensor x, long[]? lengths, Action<string, Tensor>? observe)
    {
        x = Convs(x);
        observe?.Invoke("encoder_conv_output", x);
        x = x.transpose(1, 2);
        if (lengths is null) return lstm.call(x).Item1;
        var rows = new List<Tensor>();
        for (var b = 0; b < lengths.Length; b++)
        {
            var (o, _, _) = lstm.call(x[b].narrow(0, 0, lengths[b]).unsqueeze(0));
            rows.Add(functional.pad(o, [0, 0, 0, x.shape[1] - lengths[b]]));
        }
        return cat(rows, 0);
    }
}

public sealed class LocationLayer : Module<Tensor, Tensor>
{
    private readonly ConvNorm location_conv;
    private readonly LinearNorm location_dense;
    public LocationLayer(long filters, long kernel, long attentionDim) : base(nameof(LocationLayer))
    {
        location_conv = new ConvNorm(2, filters, kernel, bias: false);
        location_dense = new LinearNorm(filters, attentionDim, bias: false);
        RegisterComponents();
    }
    public override Tensor forward(Tensor weightsCat) => location_dense.call(location_conv.call(weightsCat).transpose(1, 2));
}

/// <summary>Location-sensitive attention.</summary>
public sealed class Attention : Module<Tensor, Tensor>
{
    private readonly LinearNorm query_layer, memory_layer, v;
    private readonly LocationLayer location_layer;

    public Attention(Tacotron2Config c) : base(nameof(Attention))
    {
        query_layer = new LinearNorm(c.AttentionRnnDim, c.AttentionDim, bias: false);
        memory_layer = new LinearNorm(c.EncoderEmbeddingDim, c.AttentionDim, bias: false);
        v = new LinearNorm(c.AttentionDim, 1, bias: false);
        location_layer = new LocationLayer(c.AttentionLocationNFilters, c.AttentionLocationKernelSize, c.AttentionDim);
        RegisterComponents();
    }

    public Tensor ProcessMemory(Tensor memory) => memory_layer.call(memory);

    public override Tensor forward(Tensor x) => throw new NotSupportedException("use Attend");

    public (Tensor Context, Tensor Weights) Attend(Tensor query, Tensor memory, Tensor processedMemory, Tensor weightsCat, Tensor? mask)
    {
        var energies = v.call(tanh(query_layer.call(query.unsqueeze(1)) + location_layer.call(weightsCat) + processedMemory)).squeeze(-1);
        if (mask is not null) energies = energies.masked_fill(mask, float.NegativeInfinity);
        var weights = functional.softmax(energies, 1);
        return (bmm(weights.unsqueeze(1), memory).squeeze(1), weights);
    }
}

/// <summary>The recurrent state Decoder.decode carries from step to step.</summary>
public sealed class DecoderState
{
    public required Tensor AttentionHidden, AttentionCell, DecoderHidden, DecoderCell, AttentionWeights, AttentionWeightsCum, AttentionContext;
    public required Tensor Memory, ProcessedMemory;
    public Tensor? Mask;
}

public sealed class Decoder : Module<Tensor, Tensor>
{
    private readonly Tacotron2Config _c;
    private readonly Prenet prenet;
    private readonly LSTMCell attention_rnn, decoder_rnn;
    private readonly Attention attention_layer;
    private readonly LinearNorm linear_projection, gate_layer;

    public Decoder(Tacotron2Config c) : base(nameof(Decoder))
    {
        _c = c;
        prenet = new Prenet(c.NMelChannels, c.PrenetDim);
        attention_rnn = LSTMCell(c.PrenetDim + c.EncoderEmbeddingDim, c.AttentionRnnDim);
        attention_layer = new Attention(c);
        decoder_rnn = LSTMCell(c.AttentionRnnDim + c.EncoderEmbeddingDim, c.DecoderRnnDim);
        linear_projection = new LinearNorm(c.DecoderRnnDim + c.EncoderEmbeddingDim, c.NMelChannels);
        gate_layer = new LinearNorm(c.DecoderRnnDim + c.EncoderEmbeddingDim, 1);
        RegisterComponents();
    }

    public Prenet Prenet => prenet;

    public override Tensor forward(Tensor x) => throw new NotSupportedException("use Tacotron2.TeacherForced or Infer");

    public DecoderState Initial(Tensor memory, Tensor? mask)
    {
        long b = memory.shape[0], t = memory.shape[1];
        // On the memory's device and type, so the same code runs on CUDA and in half precision.
        Tensor Zeros(long n) => zeros(b, n, dtype: memory.dtype, device: memory.device);
        return new DecoderState
        {
            AttentionHidden = Zeros(_c.AttentionRnnDim), AttentionCell = Zeros(_c.AttentionRnnDim),
            DecoderHidden = Zeros(_c.DecoderRnnDim), DecoderCell = Zeros(_c.DecoderRnnDim),
            AttentionWeights = Zeros(t), AttentionWeightsCum = Zeros(t), AttentionContext = Zeros(_c.EncoderEmbeddingDim),
            Memory = memory, ProcessedMemory = attention_layer.ProcessMemory(memory), Mask = mask,
        };
    }

    /// <summary>One Decoder.decode step; updates <paramref name="s"/> and returns mel [B, n_mel] and gate [B, 1].</summary>
    public (Tensor Mel, Tensor Gate) Step(Tensor prenetOut, DecoderState s)
    {
        (s.AttentionHidden, s.AttentionCell) = attention_rnn.call(cat([prenetOut, s.AttentionContext], -1), (s.AttentionHidden, s.AttentionCell));
        var weightsCat = cat([s.AttentionWeights.unsqueeze(1), s.AttentionWeightsCum.unsqueeze(1)], 1);
        (s.AttentionContext, s.AttentionWeights) = attention_layer.Attend(s.AttentionHidden, s.Memory, s.ProcessedMemory, weightsCat, s.Mask);
        s.AttentionWeightsCum = s.AttentionWeightsCum + s.AttentionWeights;
        (s.DecoderHidden, s.DecoderCell) = decoder_rnn.call(cat([s.AttentionHidden, s.AttentionContext], -1), (s.DecoderHidden, s.DecoderCell));
        var both = cat([s.DecoderHidden, s.AttentionContext], 1);
        return (linear_projection.call(both), gate_layer.call(both));
    }
}

public sealed class Postnet : Module<Tensor, Tensor>
{
    private readonly ModuleList<Sequential> convolutions = new();

    public Postnet(Tacotron2Config c) : base(nameof(Postnet))
    {
        for (var i = 0; i < c.PostnetNConvolutions; i++)
        {
            long inC = i == 0 ? c.NMelChannels : c.PostnetEmbeddingDim, outC = i == c.PostnetNConvolutions - 1 ? c.NMelChannels : c.PostnetEmbeddingDim;
            convolutions.Add(Sequential(("0", new ConvNorm(inC, outC, c.PostnetKernelSize)), ("1", (Module<Tensor, Tensor>)BatchNorm1d(outC))));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        for (var i = 0; i < convolutions.Count; i++)
        {
            x = convolutions[i].call(x);
            if (i < convolutions.Count - 1) x = tanh(x);
        }
        return x;
    }
}

/// <summary>What a greedy decode produced; Frames &lt; MaxSteps means the gate fired.</summary>
public sealed record Tacotron2Output(Tensor Mel, Tensor MelPostnet, Tensor Gate, Tensor Alignments, bool GateFired);

public sealed class Tacotron2 : Module<Tensor, Tensor>
{
    private readonly Tacotron2Config _c;
    private readonly Embedding embedding;
    private readonly Encoder encoder;
    private readonly Decoder decoder;
    private readonly Postnet postnet;

    public Tacotron2(Tacotron2Config c) : base(nameof(Tacotron2))
    {
        _c = c;
        embedding = Embedding(c.NSymbols, c.SymbolsEmbeddingDim);
        encoder = new Encoder(c);
        decoder = new Decoder(c);
        postnet = new Postnet(c);
        RegisterComponents();
    }

    public Decoder Decoder => decoder;
    public bool PrenetDropout { get => decoder.Prenet.Dropout; set => decoder.Prenet.Dropout = value; }

    public override Tensor forward(Tensor text) => Infer(text, _c.GateThreshold, _c.MaxDecoderSteps).MelPostnet;

    /// <summary>Tacotron2.forward: teacher-forced pass over a padded batch (rows by decreasing length), masked as
    /// parse_output does. observe sees the fixture's intermediate names without the "tf_" prefix.</summary>
    public (Tensor Mel, Tensor MelPostnet, Tensor Gate, Tensor Alignments) TeacherForced(Tensor text, long[] textLengths, Tensor melTargets,
        long[] outputLengths, Action<string, Tensor>? observe = null, Action<int, DecoderState, Tensor, Tensor?>? stepObserver = null)
    {
        var embedded = embedding.call(text).transpose(1, 2);
        observe?.Invoke("embedded_inputs", embedded);
        var memory = encoder.Run(embedded, textLengths, observe);
        observe?.Invoke("encoder_outputs", memory);
        long b = text.shape[0], tIn = text.shape[1], tOut = melTargets.shape[2];
        var mask = arange(tIn, device: text.device).unsqueeze(0) >= tensor(textLengths, device: text.device).unsqueeze(1);
        var state = decoder.Initial(memory, mask);
        observe?.Invoke("processed_memory", state.ProcessedMemory);
        var inputs = cat([zeros(1, b, _c.NMelChannels, dtype: melTargets.dtype, device: melTargets.device), melTargets.permute(2, 0, 1)], 0);
        var prenetOut = decoder.Prenet.call(inputs);
        observe?.Invoke("decoder_prenet_output", prenetOut);
        var mels = new List<Tensor>(); var gates = new List<Tensor>(); var aligns = new List<Tensor>();
        for (var t = 0; t < tOut; t++)
        {
            stepObserver?.Invoke(t, state, prenetOut[t], null);
            var (mel, gate) = decoder.Step(prenetOut[t], state);
            stepObserver?.Invoke(t, state, mel, gate);
            mels.Add(mel); gates.Add(gate.squeeze(1)); aligns.Add(state.AttentionWeights);
        }
        var melOut = stack(mels, 2);
        observe?.Invoke("postnet_input", melOut);
        var post = postnet.call(melOut);
        observe?.Invoke("postnet_output", post);
        var melPost = melOut + post;
        var frameMask = arange(tOut, device: text.device).unsqueeze(0) >= tensor(outputLengths, device: text.device).unsqueeze(1);
        var melMask = frameMask.unsqueeze(1).expand(b, _c.NMelChannels, tOut);
        return (melOut.masked_fill(melMask, 0), melPost.masked_fill(melMask, 0), stack(gates, 1).masked_fill(frameMask, 1000.0), stack(aligns, 1));
    }

    /// <summary>Tacotron2.inference (batch 1): greedy decode until sigmoid(gate) &gt; threshold (the frame kept) or maxSteps.</summary>
    public Tacotron2Output Infer(Tensor text, double gateThreshold, int maxSteps, Action<string, Tensor>? observe = null)
    {
        var memory = encoder.Run(embedding.call(text).transpose(1, 2), null, null);
        observe?.Invoke("encoder_outputs", memory);
        var state = decoder.Initial(memory, null);
        var input = zeros(text.shape[0], _c.NMelChannels, dtype: memory.dtype, device: memory.device);
        var mels = new List<Tensor>(); var gates = new List<Tensor>(); var aligns = new List<Tensor>();
        var fired = false;
        while (true)
        {
            var (mel, gate) = decoder.Step(decoder.Prenet.call(input), state);
            mels.Add(mel); gates.Add(gate); aligns.Add(state.AttentionWeights);
            if (sigmoid(gate).item<float>() > gateThreshold) { fired = true; break; }
            if (mels.Count == maxSteps) break;
            input = mel;
        }
        var melOut = stack(mels, 2);
        return new Tacotron2Output(melOut, melOut + postnet.call(melOut), stack(gates, 1), stack(aligns, 1), fired);
    }
}
