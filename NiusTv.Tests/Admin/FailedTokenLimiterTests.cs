using System.Net;
using Microsoft.AspNetCore.Http;
using NiusTv.Host.Admin;
using Xunit;

namespace NiusTv.Tests.Admin;

public sealed class FailedTokenLimiterTests
{
    private static DefaultHttpContext From(string address) =>
        new() { Connection = { RemoteIpAddress = IPAddress.Parse(address) } };

    [Fact]
    public void The_limiter_and_its_timer_exist_only_from_the_first_wrong_token_and_then_count_per_address()
    {
        using var limiter = new FailedTokenLimiter(2, TimeSpan.FromMinutes(1));
        var client = From("10.0.0.7");
        Assert.False(limiter.IsLockedOut(client));
        Assert.False(limiter.Counting); // asking whether a client is locked out makes nothing

        Assert.True(limiter.CountFailure(client));
        Assert.True(limiter.Counting);
        Assert.False(limiter.IsLockedOut(client));
        Assert.True(limiter.CountFailure(client));
        Assert.True(limiter.IsLockedOut(client));
        Assert.False(limiter.CountFailure(client));
        Assert.False(limiter.IsLockedOut(From("10.0.0.8")));
    }
}
