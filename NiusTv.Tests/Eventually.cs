using Akka.Actor;

namespace NiusTv.Tests;

/// <summary>The suite's one way to wait for something to become true: poll, never sleep-then-assert.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds, or fails naming <paramref name="what"/>.
    /// An actor that does not answer a poll in time counts as "not yet".</summary>
    public static Task Until(Func<Task<bool>> condition, int seconds, string what) =>
        Until(condition, ok => ok, seconds, _ => what);

    /// <summary>Reads until <paramref name="until"/> holds and returns that reading; a timeout names what was last
    /// read (<paramref name="describe"/> gets null when nothing was).</summary>
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> until, int seconds, Func<T?, string> describe)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        T? last = default;
        while (true)
        {
            try
            {
                last = await read();
                if (until(last)) return last;
            }
            catch (AskTimeoutException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting until " + describe(last));
            await Task.Delay(100);
        }
    }
}
