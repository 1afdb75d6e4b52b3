using NiusTv.Steps;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech;

namespace NiusTv.Tests.Landmarks;

/// <summary>Faces and phone tracks the landmark tests share.</summary>
internal static class TestFaces
{
    /// <summary>The 68 points dlib 19.24 (Debian's libdlib, shape_predictor_68_face_landmarks.dat) finds on
    /// presenters/default/astronaut.png (512×512, face box (179,83)–(266,170)), measured once with a small dlib
    /// program. Unit tests use them so that they do not load the 100 MB model; the step and lip-sync tests use the
    /// presenter library on the photo itself.</summary>
    public static DetectedFace Astronaut() => new(new FaceBox(179, 83, 266, 170), new float[][]
    {
        [179, 104], [179, 116], [180, 127], [181, 139], [185, 151], [191, 160], [200, 169], [209, 176],
        [221, 178], [232, 177], [243, 171], [253, 164], [260, 154], [265, 144], [268, 132], [270, 120],
        [272, 108], [186, 94], [192, 88], [200, 87], [208, 89], [216, 92], [236, 93], [244, 91],
        [252, 91], [260, 92], [265, 98], [225, 103], [225, 111], [225, 119], [225, 127], [214, 131],
        [219, 132], [224, 134], [229, 133], [234, 132], [195, 101], [200, 98], [207, 98], [212, 104],
        [206, 104], [199, 104], [238, 105], [244, 101], [250, 101], [255, 104], [250, 107], [244, 106],
        [201, 140], [209, 139], [218, 139], [223, 141], [229, 140], [237, 140], [245, 141], [237, 151],
        [229, 155], [222, 156], [216, 155], [208, 150], [204, 141], [217, 143], [223, 144], [229, 143],
        [243, 142], [229, 150], [223, 150], [217, 150],
    });

    public static PresenterReference AstronautReference() =>
        new("default", "/nonexistent/astronaut.png", "", 512, 512, Astronaut(), new PresenterFraming());

    /// <summary>A phone track from phones written as "PHONE:seconds" in order, each starting where the last ended.</summary>
    public static PhoneTrack Track(params string[] timed)
    {
        var phones = new List<AlignedPhone>();
        double t = 0;
        foreach (var item in timed)
        {
            var parts = item.Split(':');
            var d = double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            phones.Add(new AlignedPhone(parts[0], t, t + d, parts[0] == PhoneTrack.Silence ? -1 : 0));
            t += d;
        }
        return new PhoneTrack("test", t, [new AlignedWord("test", 0, t, 0, null)], phones);
    }

    /// <summary>Festival's timings as a CMU phone track: its radio phone set is CMU's in lowercase plus ax, axr
    /// and pau. Stands in for the synthesizer aligner of the phonemes step.</summary>
    public static PhoneTrack FromFestival(SpeechTimings timings)
    {
        var words = timings.Words.Select(w => new AlignedWord(w.Text, w.Start, w.End, w.Paragraph, null)).ToList();
        var phones = new List<AlignedPhone>();
        int word = 0;
        foreach (var p in timings.Phones)
        {
            var phone = p.Phone switch { "pau" => PhoneTrack.Silence, "ax" => "AH", "axr" => "ER", var x => x.ToUpperInvariant() };
            int index = -1;
            if (p.Word is not null)
            {
                while (word < words.Count && words[word].End <= p.Start) word++;
                index = word < words.Count ? word : -1;
            }
            phones.Add(new AlignedPhone(phone, p.Start, p.End, index));
        }
        return new PhoneTrack("synthesizer", timings.Duration, words, phones);
    }
}
