using System.Text;

namespace NiusTv.Steps.Speech;

/// <summary>Text preparation shared by the speech backends.</summary>
public static class SpeechText
{
    /// <summary>English voices read ASCII (Festival reads bytes: "café" would come out as "caf" plus one spelled-out
    /// word per UTF-8 byte; Tacotron2's symbol table has no accents). Accents are dropped, typographic punctuation
    /// becomes ASCII and whatever is left outside ASCII (other scripts, emoji) is not spoken. A table rather than
    /// string.Normalize: the projects run with InvariantGlobalization, where normalization leaves "é" alone.</summary>
    public static string ToAscii(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c < 128) { sb.Append(c); continue; }
            switch (c)
            {
                case '\u2018' or '\u2019' or '\u201A' or '\u201B' or '\u2032': sb.Append('\''); break;
                case '\u201C' or '\u201D' or '\u201E' or '\u201F' or '\u2033' or '\u00AB' or '\u00BB': sb.Append('"'); break;
                case '\u2013' or '\u2014' or '\u2015' or '\u2212': sb.Append(" - "); break;
                case '\u2026': sb.Append("..."); break;
                case '\u00DF': sb.Append("ss"); break;
                case '\u00E6': sb.Append("ae"); break;
                case '\u00C6': sb.Append("AE"); break;
                case '\u0153': sb.Append("oe"); break;
                case '\u0152': sb.Append("OE"); break;
                case '\u00F8': sb.Append('o'); break;
                case '\u00D8': sb.Append('O'); break;
                case '\u0142': sb.Append('l'); break;
                case '\u0141': sb.Append('L'); break;
                case '\u0111': sb.Append('d'); break;
                case '\u0110': sb.Append('D'); break;
                default:
                    char folded = c is >= LatinFoldFirst and < (char)(LatinFoldFirst + 192) ? LatinFold[c - LatinFoldFirst] : '?';
                    sb.Append(folded == '?' ? ' ' : folded);
                    break;
            }
        }
        return sb.ToString();
    }

    private const char LatinFoldFirst = '\u00C0';

    /// <summary>Base letter of each character U+00C0..U+017F (Latin-1 Supplement letters and Latin
    /// Extended-A, which covers the names in European news); '?' where there is no single one.</summary>
    private const string LatinFold =
        "AAAAAA?CEEEEIIII?NOOOOO??UUUUY??aaaaaa?ceeeeiiii?nooooo??uuuuy?y" +
        "AaAaAaCcCcCcCcDd??EeEeEeEeEeGgGgGgGgHh??IiIiIiIiI???JjKk?LlLlLl" +
        "????NnNnNn???OoOoOo??RrRrRrSsSsSsSsTtTt??UuUuUuUuUuUuWwYyYZzZzZz?";
}
