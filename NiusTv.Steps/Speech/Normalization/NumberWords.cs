using System.Text;

namespace NiusTv.Steps.Speech.Normalization;

/// <summary>Numbers as an American newsreader says them: "1,200" → "one thousand two hundred" (no "and"),
/// "2019" → "twenty nineteen" when it is a year, "21st" → "twenty first".</summary>
public static class NumberWords
{
    private static readonly string[] Ones =
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];

    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    private static readonly (long Value, string Name)[] Scales =
    [
        (1_000_000_000_000_000, "quadrillion"), (1_000_000_000_000, "trillion"), (1_000_000_000, "billion"),
        (1_000_000, "million"), (1_000, "thousand"),
    ];

    /// <summary>"1200" → "one thousand two hundred"; negative numbers start with "minus".</summary>
    public static string Cardinal(long n)
    {
        if (n < 0) return "minus " + Cardinal(-n);
        if (n < 20) return Ones[n];
        var parts = new List<string>();
        foreach (var (value, name) in Scales)
        {
            if (n < value) continue;
            parts.Add(Cardinal(n / value) + " " + name);
            n %= value;
        }
        if (n >= 100) { parts.Add(Ones[n / 100] + " hundred"); n %= 100; }
        if (n > 0) parts.Add(n < 20 ? Ones[n] : n % 10 == 0 ? Tens[n / 10] : Tens[n / 10] + " " + Ones[n % 10]);
        return string.Join(' ', parts);
    }

    /// <summary>Digits as written, so that numbers too long for a long or with leading zeros ("007") are not
    /// misread: "zero zero seven".</summary>
    public static string Digits(string digits) =>
        string.Join(' ', digits.Where(char.IsAsciiDigit).Select(c => Ones[c - '0']));

    /// <summary>An integer written with optional thousands commas; very long ones and ones with a leading zero
    /// are read digit by digit.</summary>
    public static string Integer(string written)
    {
        var digits = written.Replace(",", "");
        if (digits.Length > 1 && digits[0] == '0') return Digits(digits);
        return digits.Length <= 18 && long.TryParse(digits, out var n) ? Cardinal(n) : Digits(digits);
    }

    /// <summary>"3.14" → "three point one four"; the integer part as a cardinal, the rest digit by digit.</summary>
    public static string Decimal(string written)
    {
        var dot = written.IndexOf('.');
        if (dot < 0) return Integer(written);
        var whole = written[..dot];
        return (whole.Length == 0 ? "zero" : Integer(whole)) + " point " + Digits(written[(dot + 1)..]);
    }

    /// <summary>"1" → "first", "22" → "twenty second", "100" → "one hundredth".</summary>
    public static string Ordinal(long n)
    {
        var words = Cardinal(n);
        var space = words.LastIndexOf(' ');
        var head = space < 0 ? "" : words[..(space + 1)];
        var last = words[(space + 1)..];
        return head + last switch
        {
            "one" => "first",
            "two" => "second",
            "three" => "third",
            "five" => "fifth",
            "eight" => "eighth",
            "nine" => "ninth",
            "twelve" => "twelfth",
            _ when last.EndsWith('y') => last[..^1] + "ieth",
            _ => last + "th",
        };
    }

    /// <summary>A year as spoken: 1905 → "nineteen oh five", 1900 → "nineteen hundred", 2000 → "two thousand",
    /// 2007 → "two thousand seven", 2019 → "twenty nineteen", 1066 → "ten sixty six".</summary>
    public static string Year(int year)
    {
        if (year is < 1000 or > 9999) return Cardinal(year);
        int century = year / 100, rest = year % 100;
        if (year % 1000 == 0 || (century % 10 == 0 && rest < 10)) return Cardinal(year); // 2000, 2005, 1000, 1007
        if (rest == 0) return Cardinal(century) + " hundred";
        return Cardinal(century) + " " + (rest < 10 ? "oh " + Ones[rest] : Cardinal(rest));
    }

    /// <summary>"nineteen ninety" → "nineteen nineties", "two thousand" → "two thousands": the decade of a year
    /// or a number said as a plural ("the 1990s", "the '80s").</summary>
    public static string Plural(string words)
    {
        var space = words.LastIndexOf(' ');
        var head = space < 0 ? "" : words[..(space + 1)];
        var last = words[(space + 1)..];
        var sb = new StringBuilder(head);
        if (last.EndsWith('y')) sb.Append(last[..^1]).Append("ies");
        else if (last.EndsWith('x')) sb.Append(last).Append("es");
        else sb.Append(last).Append('s');
        return sb.ToString();
    }
}
