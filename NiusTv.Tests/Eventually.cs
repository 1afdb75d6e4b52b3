using Akka.Actor;

namespace NiusTv.Tests;

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds, or fails naming <paramref name="what"/>.
    /// An actor that does not answer a poll in time counts as "not yet".</summary>
    public static async Task Until(Func<Task<bool>> condition, int seconds, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            try { if (await condition()) return; }
            catch (AskTimeoutException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting until " + what);
            await Task.Delay(100);
        }
    }
}
