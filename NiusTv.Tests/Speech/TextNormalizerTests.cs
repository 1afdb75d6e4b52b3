using NiusTv.Steps.Speech.Normalization;
using Xunit;

namespace NiusTv.Tests.Speech;

public sealed class TextNormalizerTests
{
    [Theory]
    // money
    [InlineData("$2.5 million", "two point five million dollars")]
    [InlineData("The plan costs $2.5 million.", "The plan costs two point five million dollars.")]
    [InlineData("£40", "forty pounds")]
    [InlineData("€1,200", "one thousand two hundred euros")]
    [InlineData("$1", "one dollar")]
    [InlineData("$5", "five dollars")]
    [InlineData("$3.50", "three dollars and fifty cents")]
    [InlineData("$0.99", "ninety nine cents")]
    [InlineData("$1.01", "one dollar and one cent")]
    [InlineData("£1.50", "one pound and fifty pence")]
    [InlineData("$5bn", "five billion dollars")]
    [InlineData("a $40m deal", "a forty million dollars deal")]
    [InlineData("US$300", "three hundred dollars")]
    [InlineData("¥500", "five hundred yen")]
    [InlineData("$1,250,000", "one million two hundred fifty thousand dollars")]
    // percentages
    [InlineData("3.5%", "three point five percent")]
    [InlineData("up 12%", "up twelve percent")]
    [InlineData("a -3% change", "a minus three percent change")]
    [InlineData("40 per cent", "forty percent")]
    // years and plain numbers
    [InlineData("2019", "twenty nineteen")]
    [InlineData("2000", "two thousand")]
    [InlineData("1905", "nineteen oh five")]
    [InlineData("in 2005", "in two thousand five")]
    [InlineData("since 1984 the", "since nineteen eighty four the")]
    [InlineData("in 1900,", "in nineteen hundred,")]
    [InlineData("It opened in 2010.", "It opened in twenty ten.")]
    [InlineData("1066", "ten sixty six")]
    [InlineData("1500 people", "one thousand five hundred people")]
    [InlineData("14 to 3", "fourteen to three")]
    [InlineData("won 14-3", "won fourteen to three")]
    [InlineData("2019-2020", "twenty nineteen to twenty twenty")]
    [InlineData("2019–2020", "twenty nineteen to twenty twenty")]
    [InlineData("0", "zero")]
    [InlineData("13 ships", "thirteen ships")]
    [InlineData("101 dalmatians", "one hundred one dalmatians")]
    [InlineData("3,000,000", "three million")]
    [InlineData("12,345 votes", "twelve thousand three hundred forty five votes")]
    [InlineData("7,000,000,001", "seven billion one")]
    [InlineData("-5", "minus five")]
    [InlineData("fell to -12.5 today", "fell to minus twelve point five today")]
    [InlineData("3.14", "three point one four")]
    [InlineData("0.5", "zero point five")]
    [InlineData("007", "zero zero seven")]
    [InlineData("COVID-19", "COVID-nineteen")]
    [InlineData("version 2.0.1", "version two point zero point one")]
    // ordinals, decades, fractions
    [InlineData("1st", "first")]
    [InlineData("2nd", "second")]
    [InlineData("3rd", "third")]
    [InlineData("21st century", "twenty first century")]
    [InlineData("the 100th day", "the one hundredth day")]
    [InlineData("the 12th", "the twelfth")]
    [InlineData("the 1990s", "the nineteen nineties")]
    [InlineData("the '80s", "the eighties")]
    [InlineData("the 2000s", "the two thousands")]
    [InlineData("1/2", "one half")]
    [InlineData("3/4 of voters", "three quarters of voters")]
    [InlineData("2/3", "two thirds")]
    // times
    [InlineData("10:30 am", "ten thirty a m")]
    [InlineData("at 5 p.m.", "at five p m.")]
    [InlineData("at 5 p.m. on Friday", "at five p m on Friday")]
    [InlineData("at 5 p.m. The", "at five p m. The")]
    [InlineData("10:05", "ten oh five")]
    [InlineData("9:00", "nine o'clock")]
    [InlineData("14:00", "fourteen hundred")]
    [InlineData("7AM", "seven a m")]
    [InlineData("11:45 PM", "eleven forty five p m")]
    // dates
    [InlineData("March 5", "March fifth")]
    [InlineData("March 5, 2019", "March fifth, twenty nineteen")]
    [InlineData("on Sept. 11", "on September eleventh")]
    [InlineData("5 March", "the fifth of March")]
    [InlineData("June 1st", "June first")]
    [InlineData("in May 2019", "in May twenty nineteen")]
    // abbreviations
    [InlineData("Dr. Ruiz", "doctor Ruiz")]
    [InlineData("said Dr Ruiz", "said doctor Ruiz")]
    [InlineData("St. Mary's Hospital", "saint Mary's Hospital")]
    [InlineData("on Main St.", "on Main street.")]
    [InlineData("on Main St. The mayor", "on Main street. The mayor")]
    [InlineData("Main St. is closed", "Main street is closed")]
    [InlineData("Mulholland Dr. was busy", "Mulholland drive was busy")]
    [InlineData("Mr. Smith and Mrs. Jones", "mister Smith and missus Jones")]
    [InlineData("Mr Smith", "mister Smith")]
    [InlineData("Ms. Lee", "miz Lee")]
    [InlineData("Prof. Chen", "professor Chen")]
    [InlineData("Gov. Reed", "governor Reed")]
    [InlineData("Martin Luther King Jr. spoke", "Martin Luther King junior spoke")]
    [InlineData("Acme Inc. said", "Acme incorporated said")]
    [InlineData("Smith vs. Jones", "Smith versus Jones")]
    [InlineData("fruit, e.g. apples", "fruit, for example apples")]
    [InlineData("apples, pears etc. The end", "apples, pears et cetera. The end")]
    [InlineData("No. 5", "number five")]
    [InlineData("the #1 song", "the number one song")]
    [InlineData("He said no.", "He said no.")]
    [InlineData("the U.S. economy", "the U S economy")]
    [InlineData("Tom & Jerry", "Tom and Jerry")]
    // units
    [InlineData("100 km/h", "one hundred kilometers per hour")]
    [InlineData("1 km", "one kilometer")]
    [InlineData("a 5km run", "a five kilometers run")]
    [InlineData("60 mph", "sixty miles per hour")]
    [InlineData("-5°C", "minus five degrees Celsius")]
    [InlineData("20 kg", "twenty kilograms")]
    [InlineData("6 ft", "six feet")]
    [InlineData("500 MW", "five hundred megawatts")]
    // untouched text
    [InlineData("The council met on Tuesday.", "The council met on Tuesday.")]
    [InlineData("", "")]
    public void Says_it_the_way_a_newsreader_would(string written, string spoken) =>
        Assert.Equal(spoken, TextNormalizer.Normalize(written));

    [Fact]
    public void A_whole_paragraph_leaves_no_digits_and_keeps_its_sentences()
    {
        var spoken = TextNormalizer.Normalize(
            "Dr. Ruiz said on March 5, 2019 that the $2.5 million plan, 3.5% over budget, opens at 10:30 am. The 1st phase ends in 2021.");
        Assert.Equal("doctor Ruiz said on March fifth, twenty nineteen that the two point five million dollars plan, three point five percent over budget, " +
            "opens at ten thirty a m. The first phase ends in twenty twenty one.", spoken);
        Assert.DoesNotContain(spoken, char.IsDigit);
    }

    [Fact]
    public void Number_words_cover_large_and_odd_values()
    {
        Assert.Equal("nine hundred ninety nine trillion", NumberWords.Cardinal(999_000_000_000_000));
        Assert.Equal("forty second", NumberWords.Ordinal(42));
        Assert.Equal("twentieth", NumberWords.Ordinal(20));
        Assert.Equal("twenty twenty seven", NumberWords.Year(2027));
        Assert.Equal("one two three four five six seven eight nine zero one two three four five six seven eight nine zero",
            NumberWords.Integer("12345678901234567890"));
    }
}
