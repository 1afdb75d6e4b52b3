namespace NiusTv.Steps.Render.Footage;

/// <summary>Chooses the clip frame whose mouth is shown in each output frame, over the whole story at once
/// (Viterbi over a few candidates per frame), as sample-based talking heads do: the data cost is how far a
/// frame's normalized lip and jaw shape is from the target; the transition cost is zero when the clip simply plays
/// on (the same or the next frame), and a jump cost plus the shape difference when it cuts to an unrelated frame.
/// A greedy choice would flicker between look-alike frames; this one follows real runs of the clip and cuts only
/// when the target moves away from them.</summary>
public static class MouthPlanner
{
    /// <summary>Best frames by shape per output frame.</summary>
    public const int TopK = 10;
    /// <summary>A cut costs this many times the median best data cost, plus the shape difference between the frames.</summary>
    public const float JumpFactor = 0.6f;
    private const int MaxStates = 30;

    /// <param name="targets">Per output frame, the target's <see cref="FootageShape.Feature(float[][])"/>.</param>
    /// <param name="clipStep">Clip frames per output frame (clip fps / output fps).</param>
    public static int[] Plan(ClipAnalysis analysis, float[][] targets, double clipStep)
    {
        int n = targets.Length;
        var result = new int[n];
        if (n == 0) return result;
        var candidates = analysis.Candidates;
        var features = analysis.Features;
        var usable = analysis.Usable;
        var context = analysis.ContextCost;

        // Top-K by data cost for every frame.
        var top = new int[n][];
        var topCost = new float[n][];
        var bestCosts = new float[n];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k =>
        {
            var ids = new int[TopK];
            var costs = new float[TopK];
            Array.Fill(costs, float.MaxValue);
            var t = targets[k];
            foreach (var c in candidates)
            {
                var d = FootageShape.Distance(t, features[c]) + context[c];
                if (d >= costs[TopK - 1]) continue;
                int j = TopK - 1;
                while (j > 0 && costs[j - 1] > d) { costs[j] = costs[j - 1]; ids[j] = ids[j - 1]; j--; }
                costs[j] = d; ids[j] = c;
            }
            int count = Math.Min(TopK, candidates.Length);
            top[k] = ids[..count];
            topCost[k] = costs[..count];
            bestCosts[k] = costs[0];
        });
        var sortedBest = bestCosts.Order().ToArray();
        float jump = JumpFactor * Math.Max(1e-4f, sortedBest[sortedBest.Length / 2]);
        int advance = Math.Max(2, (int)Math.Ceiling(clipStep));
        float hold = 0.2f * jump;

        // Viterbi over states = candidate frames; the previous frame's best states also continue into their successors.
        var states = new List<int[]>(n);
        var back = new List<int[]>(n);
        var prevStates = top[0];
        var prevCost = (float[])topCost[0].Clone();
        states.Add(prevStates);
        back.Add(new int[prevStates.Length]);
        var set = new Dictionary<int, int>();
        for (int k = 1; k < n; k++)
        {
            set.Clear();
            var list = new List<int>(MaxStates);
            foreach (var c in top[k]) if (set.TryAdd(c, list.Count)) list.Add(c);
            // Successors of the cheapest previous states: the clip playing on.
            var order = Enumerable.Range(0, prevStates.Length).OrderBy(i => prevCost[i]).Take(8);
            foreach (var i in order)
                for (int a = 0; a <= advance && list.Count < MaxStates; a++)
                {
                    int s = prevStates[i] + a;
                    if (s < usable.Length && usable[s] && set.TryAdd(s, list.Count)) list.Add(s);
                }
            var cur = list.ToArray();
            var cost = new float[cur.Length];
            var from = new int[cur.Length];
            var t = targets[k];
            for (int j = 0; j < cur.Length; j++)
            {
                float data = FootageShape.Distance(t, features[cur[j]]) + context[cur[j]];
                float best = float.MaxValue;
                int arg = 0;
                for (int i = 0; i < prevStates.Length; i++)
                {
                    int d = cur[j] - prevStates[i];
                    // Playing on costs nothing; holding a frame or skipping one a little (the clip's and the story's
                    // frame rates differ, so some of both is natural, but a long hold is a frozen mouth).
                    float trans = d == 1 ? 0f : d == 0 || d == 2 ? hold
                        : jump + 0.5f * FootageShape.Distance(features[cur[j]], features[prevStates[i]]);
                    float c = prevCost[i] + trans;
                    if (c < best) { best = c; arg = i; }
                }
                cost[j] = best + data;
                from[j] = arg;
            }
            // Keep costs small (only differences matter).
            float min = cost.Min();
            for (int j = 0; j < cost.Length; j++) cost[j] -= min;
            states.Add(cur);
            back.Add(from);
            prevStates = cur;
            prevCost = cost;
        }
        int state = Array.IndexOf(prevCost, prevCost.Min());
        for (int k = n - 1; k >= 0; k--)
        {
            result[k] = states[k][state];
            state = back[k][state];
        }
        return result;
    }
}
