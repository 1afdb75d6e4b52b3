using System.Text.RegularExpressions;

namespace NiusTv.Steps.Speech.Normalization;

/// <summary>Turns a paragraph as written into the words a newsreader says: numbers, money, percentages, times,
/// dates, ordinals, units and common abbreviations become words ("$2.5 million" → "two point five million
/// dollars", "Dr. Ruiz" → "doctor Ruiz"). Everything else, punctuation included, is left as it was, because
/// the synthesizers phrase by punctuation. The result has no digits, so every synthesizer says the same words
/// and the phonemes step can look each of them up in a dictionary.
/// Deterministic and pure: the phonemes step normalizes the story again and gets the text that was spoken.</summary>
public static partial class TextNormalizer
{
    /// <summary>Normalizes one paragraph; a blank paragraph stays blank.</summary>
    public static string Normalize(string paragraph)
    {
        if (string.IsNullOrWhiteSpace(paragraph)) return paragraph;
        var t = Unify(paragraph);
        t = Money().Replace(t, m => SpeakMoney(m));
        t = Percent().Replace(t, m => Spaced(m, SpeakNumber(m.Groups["sign"].Value, m.Groups["num"].Value) + " percent"));
        t = ClockTime().Replace(t, m => Spaced(m, SpeakTime(m)) + KeptPeriod(m));
        t = HourMeridiem().Replace(t, m => Spaced(m, NumberWords.Cardinal(int.Parse(m.Groups["h"].Value)) + " " + Meridiem(m.Groups["ap"].Value)) + KeptPeriod(m));
        t = MonthDay().Replace(t, m => SpeakMonthDay(m));
        t = DayMonth().Replace(t, m => Spaced(m, "the " + NumberWords.Ordinal(int.Parse(m.Groups["d"].Value)) + " of " + MonthName(m.Groups["month"].Value)));
        t = Decade().Replace(t, m => Spaced(m, SpeakDecade(m)));
        t = OrdinalNumber().Replace(t, m => Spaced(m, NumberWords.Ordinal(long.Parse(m.Groups["n"].Value))));
        t = NumberSign().Replace(t, m => Spaced(m, "number " + NumberWords.Integer(m.Groups["n"].Value)));
        t = Measure().Replace(t, m => SpeakMeasure(m));
        t = Fraction().Replace(t, m => Spaced(m, SpeakFraction(m)));
        t = Range().Replace(t, "${a} to ${b}");
        t = Version().Replace(t, m => Spaced(m, string.Join(" point ", m.Value.Split('.').Select((part, i) => i == 0 ? NumberWords.Integer(part) : NumberWords.Digits(part)))));
        t = Number().Replace(t, m => Spaced(m, SpeakStandaloneNumber(m)));
        t = Abbreviation().Replace(t, m => SpeakAbbreviation(m));
        t = Initialism().Replace(t, m => string.Join(' ', m.Value.Where(char.IsLetter).Select(char.ToUpperInvariant)) + KeptPeriod(m));
        t = Ampersand().Replace(t, " and ");
        // Whatever digits are left (a version "2.0.1", a code) are read one by one rather than left to a
        // synthesizer that might skip them or a dictionary that has no entry for them.
        t = LeftoverDigits().Replace(t, m => Spaced(m, NumberWords.Digits(m.Value)));
        return Spaces().Replace(t, " ").Trim();
    }

    /// <summary>Typographic variants that the patterns below would otherwise have to spell twice.</summary>
    private static string Unify(string text)
    {
        var t = text.Replace('\u00A0', ' ').Replace('\u202F', ' ').Replace('\u2212', '-').Replace('\u2019', '\'').Replace('\u2018', '\'');
        // An en or em dash between two numbers is a range ("2019–2020"); elsewhere it is a pause, left alone.
        return DashBetweenNumbers().Replace(t, "${a}-${b}");
    }

    // ---- money ----

    private sealed record Currency(string One, string Many, string SubOne, string SubMany);

    private static readonly Dictionary<string, Currency> Currencies = new()
    {
        ["$"] = new("dollar", "dollars", "cent", "cents"),
        ["US$"] = new("dollar", "dollars", "cent", "cents"),
        ["£"] = new("pound", "pounds", "penny", "pence"),
        ["€"] = new("euro", "euros", "cent", "cents"),
        ["¥"] = new("yen", "yen", "sen", "sen"),
    };

    private static string SpeakMoney(Match m)
    {
        var currency = Currencies[m.Groups["cur"].Value];
        var num = m.Groups["num"].Value;
        var scale = Scale(m.Groups["scale"].Value);
        var minus = m.Groups["sign"].Success && m.Groups["sign"].Value.Length > 0 ? "minus " : "";
        string words;
        if (scale.Length > 0)
            words = NumberWords.Decimal(num.Replace(",", "")) + " " + scale + " " + currency.Many;
        else
        {
            var dot = num.IndexOf('.');
            var whole = dot < 0 ? num : num[..dot];
            var cents = dot < 0 ? "" : num[(dot + 1)..];
            if (cents.Length == 2)
            {
                // "$3.50" is three dollars and fifty cents; "$0.99" is just the cents.
                var c = int.Parse(cents);
                var w = long.Parse(whole.Length == 0 ? "0" : whole.Replace(",", ""));
                var centWords = NumberWords.Cardinal(c) + " " + (c == 1 ? currency.SubOne : currency.SubMany);
                words = w == 0 ? centWords
                    : NumberWords.Integer(whole) + " " + (w == 1 ? currency.One : currency.Many) + (c > 0 ? " and " + centWords : "");
            }
            else if (cents.Length > 0) words = NumberWords.Decimal(num.Replace(",", "")) + " " + currency.Many;
            else words = NumberWords.Integer(whole) + " " + (whole == "1" ? currency.One : currency.Many);
        }
        return Spaced(m, minus + words) + KeptPeriod(m);
    }

    private static string Scale(string written) => written.ToLowerInvariant() switch
    {
        "" => "",
        "k" or "thousand" => "thousand",
        "m" or "mn" or "million" => "million",
        "b" or "bn" or "billion" => "billion",
        "tn" or "trillion" => "trillion",
        var other => other,
    };

    // ---- numbers ----

    private static string SpeakNumber(string sign, string num) =>
        (sign.Length > 0 ? "minus " : "") + NumberWords.Decimal(num.Replace(",", ""));

    /// <summary>A number with no unit, currency or suffix. Four digits between 1000 and 2099 read as a year
    /// where the text suggests one ("in 1905", "since 2019", a year at the end of a clause); otherwise as a
    /// count ("1500 people" is one thousand five hundred).</summary>
    private static string SpeakStandaloneNumber(Match m)
    {
        var sign = m.Groups["sign"].Value;
        var num = m.Groups["num"].Value;
        if (sign.Length == 0 && num.Length == 4 && !num.Contains(',') && int.TryParse(num, out var year)
            && year is >= 1000 and <= 2099 && LooksLikeYear(m))
            return NumberWords.Year(year);
        return SpeakNumber(sign, num);
    }

    private static readonly HashSet<string> YearContext = new(StringComparer.OrdinalIgnoreCase)
    {
        "in", "since", "by", "until", "till", "of", "from", "to", "through", "before", "after", "during", "year",
        "summer", "spring", "autumn", "fall", "winter", "early", "late", "mid", "circa", "and", "or", "between",
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "the",
    };

    private static bool LooksLikeYear(Match m)
    {
        var input = m.Result("$_");
        var before = PreviousWord(input, m.Index);
        if (before is not null && YearContext.Contains(before)) return true;
        // Followed by the end of the text or by punctuation that closes a clause: "It opened in 2019." and a
        // bare "2019" both mean the year; "2019 people" would be followed by a word.
        var after = m.Index + m.Length;
        // One end of a range of years: "2019 to 2020", "2019 and 2020".
        if (YearRangeAhead().IsMatch(input, after)) return true;
        while (after < input.Length && input[after] == ' ') after++;
        return after >= input.Length || input[after] is '.' or ',' or ';' or ':' or '!' or '?' or ')' or '"' or '\'';
    }

    private static string? PreviousWord(string input, int index)
    {
        var end = index;
        while (end > 0 && !char.IsLetterOrDigit(input[end - 1])) end--;
        var start = end;
        while (start > 0 && char.IsLetter(input[start - 1])) start--;
        return end > start ? input[start..end] : null;
    }

    private static string SpeakDecade(Match m)
    {
        var digits = m.Groups["n"].Value;
        if (digits.Length == 2) return NumberWords.Plural(NumberWords.Cardinal(int.Parse(digits)));
        var year = int.Parse(digits);
        // "the 2000s" are the two thousands; "the 1990s" the nineteen nineties.
        return NumberWords.Plural(year % 1000 == 0 ? NumberWords.Cardinal(year) : NumberWords.Year(year));
    }

    private static string SpeakFraction(Match m)
    {
        int n = int.Parse(m.Groups["n"].Value), d = int.Parse(m.Groups["d"].Value);
        var numerator = NumberWords.Cardinal(n);
        var denominator = d switch
        {
            2 => n == 1 ? "half" : "halves",
            4 => n == 1 ? "quarter" : "quarters",
            _ => n == 1 ? NumberWords.Ordinal(d) : NumberWords.Plural(NumberWords.Ordinal(d)),
        };
        return numerator + " " + denominator;
    }

    // ---- times and dates ----

    private static string SpeakTime(Match m)
    {
        var hour = int.Parse(m.Groups["h"].Value);
        var minute = int.Parse(m.Groups["m"].Value);
        var ap = m.Groups["ap"].Value;
        var words = NumberWords.Cardinal(hour);
        if (minute == 0) words += ap.Length > 0 ? "" : hour > 12 || hour == 0 ? " hundred" : " o'clock";
        else words += " " + (minute < 10 ? "oh " + NumberWords.Cardinal(minute) : NumberWords.Cardinal(minute));
        return ap.Length > 0 ? words + " " + Meridiem(ap) : words;
    }

    private static string Meridiem(string ap) => char.ToLowerInvariant(ap[0]) == 'a' ? "a m" : "p m";

    private static readonly string[] Months =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    private static string MonthName(string written)
    {
        var w = written.TrimEnd('.');
        return Months.First(month => month.StartsWith(w[..3], StringComparison.OrdinalIgnoreCase));
    }

    private static string SpeakMonthDay(Match m)
    {
        var words = MonthName(m.Groups["month"].Value) + " " + NumberWords.Ordinal(int.Parse(m.Groups["d"].Value));
        if (m.Groups["y"].Success) words += m.Groups["comma"].Value + " " + NumberWords.Year(int.Parse(m.Groups["y"].Value));
        return words;
    }

    // ---- units ----

    private sealed record Unit(string One, string Many);

    private static readonly Dictionary<string, Unit> Units = new()
    {
        ["km/h"] = new("kilometer per hour", "kilometers per hour"),
        ["kph"] = new("kilometer per hour", "kilometers per hour"),
        ["mph"] = new("mile per hour", "miles per hour"),
        ["km"] = new("kilometer", "kilometers"),
        ["cm"] = new("centimeter", "centimeters"),
        ["mm"] = new("millimeter", "millimeters"),
        ["kg"] = new("kilogram", "kilograms"),
        ["mi"] = new("mile", "miles"),
        ["ft"] = new("foot", "feet"),
        ["lb"] = new("pound", "pounds"),
        ["lbs"] = new("pound", "pounds"),
        ["kW"] = new("kilowatt", "kilowatts"),
        ["MW"] = new("megawatt", "megawatts"),
        ["GW"] = new("gigawatt", "gigawatts"),
        ["kWh"] = new("kilowatt hour", "kilowatt hours"),
        ["GB"] = new("gigabyte", "gigabytes"),
        ["TB"] = new("terabyte", "terabytes"),
        ["°C"] = new("degree Celsius", "degrees Celsius"),
        ["°F"] = new("degree Fahrenheit", "degrees Fahrenheit"),
        ["°"] = new("degree", "degrees"),
    };

    private static string SpeakMeasure(Match m)
    {
        var num = m.Groups["num"].Value;
        var sign = m.Groups["sign"].Value;
        var unit = Units[m.Groups["unit"].Value];
        var one = sign.Length == 0 && num == "1";
        return Spaced(m, SpeakNumber(sign, num) + " " + (one ? unit.One : unit.Many));
    }

    // ---- abbreviations ----

    private static readonly Dictionary<string, string> Titles = new(StringComparer.Ordinal)
    {
        ["Mr"] = "mister", ["Mrs"] = "missus", ["Ms"] = "miz", ["Prof"] = "professor", ["Gen"] = "general",
        ["Gov"] = "governor", ["Sen"] = "senator", ["Rep"] = "representative", ["Capt"] = "captain",
        ["Lt"] = "lieutenant", ["Col"] = "colonel", ["Sgt"] = "sergeant", ["Rev"] = "reverend", ["Pres"] = "president",
        ["Supt"] = "superintendent", ["Insp"] = "inspector", ["Mt"] = "mount", ["Ft"] = "fort",
    };

    /// <summary>Abbreviations that end a phrase as often as not, so their period may also end the sentence.</summary>
    private static readonly Dictionary<string, string> Words = new(StringComparer.Ordinal)
    {
        ["Jr"] = "junior", ["Sr"] = "senior", ["Ave"] = "avenue", ["Rd"] = "road", ["Blvd"] = "boulevard",
        ["Inc"] = "incorporated", ["Ltd"] = "limited", ["Corp"] = "corporation", ["Dept"] = "department",
        ["etc"] = "et cetera", ["vs"] = "versus", ["approx"] = "approximately", ["Univ"] = "university",
    };

    private static string SpeakAbbreviation(Match m)
    {
        var word = m.Groups["w"].Value;
        var input = m.Result("$_");
        var dotted = m.Groups["dot"].Value.Length > 0;
        var nextCapital = NextWordIsCapitalized(input, m.Index + m.Length);
        // A capitalized word before is a name ("Main St.") unless it is capitalized only because it starts the
        // sentence ("Yesterday Dr. Ruiz…").
        var previous = PreviousWord(input, m.Index);
        var previousCapitalized = previous is not null && char.IsUpper(previous[0]);
        var previousName = previousCapitalized && !EndsSentenceBefore(input, m.Index);
        switch (word)
        {
            case "e.g": return "for example" + KeptPeriod(m);
            case "i.e": return "that is" + KeptPeriod(m);
            case "St" or "Dr":
            {
                // "St. Mary's", "Dr. Ruiz": a title before a name. "Main St.", "Mulholland Dr.": a street after one.
                var title = word == "St" ? "saint" : "doctor";
                var street = word == "St" ? "street" : "drive";
                if (nextCapital && !previousName) return title;
                if (!dotted && !nextCapital && !previousCapitalized) return m.Value; // a bare "St" or "Dr" with nothing to go on
                if (previousCapitalized) return street + KeptPeriod(m);
                return word == "St" ? street + KeptPeriod(m) : title;
            }
        }
        if (Titles.TryGetValue(word, out var t))
        {
            // "Mr Smith" (British, no dot) is a title too, but only before a name.
            if (!dotted && !nextCapital) return m.Value;
            return t;
        }
        if (Words.TryGetValue(word, out var w))
        {
            if (!dotted && word is not ("vs" or "etc")) return m.Value;
            // "vs." never ends a sentence: "Smith vs. Jones".
            return w + (dotted && word != "vs" ? KeptPeriod(m) : "");
        }
        return m.Value;
    }

    private static bool NextWordIsCapitalized(string input, int index)
    {
        while (index < input.Length && input[index] is ' ' or '"' or '\'') index++;
        return index < input.Length && char.IsUpper(input[index]);
    }

    /// <summary>Whether a sentence ends right before <paramref name="index"/>: a capitalized first word of a
    /// sentence is no street name.</summary>
    private static bool EndsSentenceBefore(string input, int index)
    {
        var i = index;
        while (i > 0 && input[i - 1] == ' ') i--;
        while (i > 0 && char.IsLetter(input[i - 1])) i--;
        while (i > 0 && input[i - 1] == ' ') i--;
        return i == 0 || input[i - 1] is '.' or '!' or '?';
    }

    // ---- helpers ----

    /// <summary>The period a match swallowed ("a.m.", "St.", "Ltd.") when it also ends the sentence: the end of
    /// the text, or a capitalized word next. Without it, the synthesizer would run two sentences together.</summary>
    private static string KeptPeriod(Match m)
    {
        if (!m.Value.EndsWith('.')) return "";
        var input = m.Result("$_");
        var after = m.Index + m.Length;
        if (after >= input.Length) return ".";
        var i = after;
        while (i < input.Length && input[i] == ' ') i++;
        if (i >= input.Length) return ".";
        return i > after && char.IsUpper(input[i]) ? "." : "";
    }

    /// <summary>Spoken words with a space on each side where the match touched a letter ("COVID-19" → "COVID-
    /// nineteen" keeps the hyphen; "3km" → "three kilometers").</summary>
    private static string Spaced(Match m, string words)
    {
        var input = m.Result("$_");
        var before = m.Index > 0 && char.IsLetterOrDigit(input[m.Index - 1]) ? " " : "";
        var end = m.Index + m.Length;
        var after = end < input.Length && char.IsLetterOrDigit(input[end]) ? " " : "";
        return before + words + after;
    }

    private const string Num = @"(?<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)";
    // A minus sign only where it cannot be a hyphen: at the start or after a space or an opening bracket.
    private const string Sign = @"(?<sign>(?<=^|[\s(\[])-)?";

    [GeneratedRegex(@"(?<a>\d)\s?[\u2013\u2014]\s?(?<b>\d)")]
    private static partial Regex DashBetweenNumbers();

    [GeneratedRegex(Sign + @"(?<cur>US\$|[$£€¥])\s?" + Num + @"(?:\s?(?<scale>thousand|million|billion|trillion|bn|mn|tn|[kmb])\b\.?)?")]
    private static partial Regex Money();

    [GeneratedRegex(Sign + Num + @"\s?(?:%|per\s?cent\b)")]
    private static partial Regex Percent();

    [GeneratedRegex(@"\b(?<h>[01]?\d|2[0-3]):(?<m>[0-5]\d)(?:\s?(?<ap>[aApP])\.?\s?[mM]\b\.?)?")]
    private static partial Regex ClockTime();

    [GeneratedRegex(@"\b(?<h>1[0-2]|0?[1-9])\s?(?<ap>[aApP])\.?\s?[mM](?:\b\.?|\.)")]
    private static partial Regex HourMeridiem();

    private const string Month = @"(?<month>January|February|March|April|May|June|July|August|September|October|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?)";

    [GeneratedRegex(Month + @"\s(?<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b(?:(?<comma>,?)\s(?<y>1\d{3}|20\d{2})\b)?")]
    private static partial Regex MonthDay();

    [GeneratedRegex(@"\b(?<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\s" + Month + @"(?=\W|$)")]
    private static partial Regex DayMonth();

    [GeneratedRegex(@"(?:\b(?<n>1\d{2}0|20\d0)|'(?<n>\d0))s\b")]
    private static partial Regex Decade();

    [GeneratedRegex(@"\b(?<n>\d{1,9})(?:st|nd|rd|th)\b")]
    private static partial Regex OrdinalNumber();

    [GeneratedRegex(@"(?:\bNo\.|\bno\.|#)\s?(?<n>\d+)\b")]
    private static partial Regex NumberSign();

    [GeneratedRegex(Sign + Num + @"\s?(?<unit>km/h|kph|mph|km|cm|mm|kg|mi|ft|lbs|lb|kWh|kW|MW|GW|GB|TB|°C|°F|°)(?![\w/])")]
    private static partial Regex Measure();

    [GeneratedRegex(@"(?<![\d/.,])(?<n>\d)/(?<d>[2-9]|10)(?![\d/.,]\d)(?!/)")]
    private static partial Regex Fraction();

    [GeneratedRegex(@"(?<a>\d)-(?<b>\d)")]
    private static partial Regex Range();

    [GeneratedRegex(@"\G\s(?:to|and|or)\s\d{4}(?!\d)")]
    private static partial Regex YearRangeAhead();

    [GeneratedRegex(@"(?<![\d.])\d+(?:\.\d+){2,}(?![\d])")]
    private static partial Regex Version();

    [GeneratedRegex(Sign + @"(?<!\d)" + Num + @"(?!\d)")]
    private static partial Regex Number();

    [GeneratedRegex(@"\b(?<w>e\.g|i\.e|Mrs|Mr|Ms|Dr|St|Prof|Gen|Gov|Sen|Rep|Capt|Lt|Col|Sgt|Rev|Pres|Supt|Insp|Mt|Ft|Jr|Sr|Ave|Rd|Blvd|Inc|Ltd|Corp|Dept|etc|vs|approx|Univ)\b(?<dot>\.?)")]
    private static partial Regex Abbreviation();

    [GeneratedRegex(@"\b(?:[A-Za-z]\.){2,}")]
    private static partial Regex Initialism();

    [GeneratedRegex(@"\s&\s")]
    private static partial Regex Ampersand();

    [GeneratedRegex(@"\d+")]
    private static partial Regex LeftoverDigits();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex Spaces();
}
