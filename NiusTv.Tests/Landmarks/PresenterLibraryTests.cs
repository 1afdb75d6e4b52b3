using Xunit;
using NiusTv.Steps;
using NiusTv.Steps.Landmarks;
using NiusTv.Tests.EndToEnd;
using SkiaSharp;

namespace NiusTv.Tests.Landmarks;

/// <summary>dlib through libfacelm on the real default presenter photo, and the per-presenter reference cache.</summary>
[Trait("Speed", "Slow")]
public sealed class PresenterLibraryTests : IDisposable
{
    private static readonly string Presenters = Path.Combine(Nius.RepoRoot, "presenters");
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Landmarks_of_the_default_presenter_land_on_the_face()
    {
        var library = new PresenterLibrary(Presenters, _temp.Combine("cache"), () => new DlibFaceLandmarkDetector());
        var reference = library.Reference("default");

        Assert.Equal((512, 512), (reference.Width, reference.Height));
        var box = reference.Face.Box;
        Assert.InRange(box.Width, 60, 200);
        var margin = box.Width * 0.15f;
        foreach (var p in reference.Face.Points)
        {
            Assert.InRange(p[0], box.Left - margin, box.Right + margin);
            Assert.InRange(p[1], box.Top - margin, box.Bottom + margin);
        }
        float MeanY(int from, int to) => reference.Face.Points[from..(to + 1)].Average(p => p[1]);
        var eyes = MeanY(36, 47);
        var nose = MeanY(31, 35);
        var mouth = MeanY(48, 67);
        var chin = reference.Face.Points[8][1];
        Assert.True(eyes < nose && nose < mouth && mouth < chin, $"eyes {eyes}, nose {nose}, mouth {mouth}, chin {chin} out of order");
        var leftEye = reference.Face.Points[36..42].Average(p => p[0]);
        var rightEye = reference.Face.Points[42..48].Average(p => p[0]);
        Assert.True(leftEye < rightEye);
        var mouthWidth = reference.Face.Points[54][0] - reference.Face.Points[48][0];
        Assert.InRange(mouthWidth / box.Width, 0.25, 0.65);
        // The photo's mouth is closed: the inner lips (62 top, 66 bottom) nearly touch.
        Assert.InRange(reference.Face.Points[66][1] - reference.Face.Points[62][1], -2f, box.Height * 0.08f);
    }

    [Fact]
    public void The_reference_face_is_detected_once_per_photo_and_again_when_the_photo_changes()
    {
        var root = _temp.Folder("presenters");
        var folder = Directory.CreateDirectory(Path.Combine(root, "anna")).FullName;
        File.Copy(Path.Combine(Presenters, "default", "astronaut.png"), Path.Combine(folder, "photo.png"));
        File.WriteAllText(Path.Combine(folder, "presenter.json"), """{"name":"anna","photo":"photo.png","framing":{"faceHeight":0.5,"faceCentreY":0.45}}""");
        var detections = 0;
        using var detector = new DlibFaceLandmarkDetector();
        var cache = _temp.Combine("cache");
        IFaceLandmarkDetector Counting() { detections++; return detector; }

        var first = new PresenterLibrary(root, cache, Counting).Reference("anna");
        Assert.Equal(1, detections);
        Assert.Equal(0.5, first.Framing.FaceHeight);

        // A node restart: a new library with the same cache reads the stored face and never opens dlib.
        var again = new PresenterLibrary(root, cache, () => throw new InvalidOperationException("detected again")).Reference("anna");
        Assert.Equal(first.Face.Points.SelectMany(p => p), again.Face.Points.SelectMany(p => p));
        Assert.Equal(first.PhotoSha256, again.PhotoSha256);

        // An edited photo (mirrored) is detected again: the mouth's left corner moves to the other side.
        using (var bitmap = SKBitmap.Decode(Path.Combine(folder, "photo.png")))
        using (var mirrored = new SKBitmap(bitmap.Info))
        using (var canvas = new SKCanvas(mirrored))
        {
            canvas.Scale(-1, 1, bitmap.Width / 2f, 0);
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None));
            canvas.Flush();
            using var data = mirrored.Encode(SKEncodedImageFormat.Png, 90);
            File.WriteAllBytes(Path.Combine(folder, "photo.png"), data.ToArray());
        }
        var edited = new PresenterLibrary(root, cache, Counting).Reference("anna");
        Assert.Equal(2, detections);
        Assert.NotEqual(first.PhotoSha256, edited.PhotoSha256);
        Assert.InRange(edited.Face.Points[48][0], 512 - first.Face.Points[54][0] - 6, 512 - first.Face.Points[54][0] + 6);
    }

    [Theory]
    [InlineData("nobody", null, null, "presenter 'nobody' is unknown")]
    [InlineData("anna", """{"name":"anna","photo":"missing.png"}""", null, "missing.png")]
    [InlineData("anna", """{"name":"anna","photo":"../default/astronaut.png"}""", null, "must be a file name inside")]
    [InlineData("anna", """{"name":"anna",""", null, "is not valid JSON")]
    [InlineData("anna", """{"name":"anna","photo":"p.png","framing":{"faceHeight":0}}""", "p.png", "framing.faceHeight")]
    [InlineData("anna", """{"name":"anna","photo":"p.png"}""", "p.png", "no face found")]
    [InlineData("Anna", null, null, "lowercase")]
    public void A_broken_profile_is_a_clear_error_naming_the_presenter(string name, string? manifest, string? blankPhoto, string expected)
    {
        var root = _temp.Folder("presenters");
        if (manifest is not null)
        {
            var folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
            File.WriteAllText(Path.Combine(folder, "presenter.json"), manifest);
            if (blankPhoto is not null)
            {
                using var blank = new SKBitmap(320, 240);
                blank.Erase(new SKColor(120, 120, 120));
                using var data = blank.Encode(SKEncodedImageFormat.Png, 90);
                File.WriteAllBytes(Path.Combine(folder, blankPhoto), data.ToArray());
            }
        }
        using var detector = new DlibFaceLandmarkDetector();
        var library = new PresenterLibrary(root, _temp.Combine("cache"), () => detector);
        var failure = Assert.Throws<StepFailure>(() => library.Reference(name));
        Assert.False(failure.Transient);
        Assert.Contains(expected, failure.Message);
        Assert.Contains(name, failure.Message);
        Assert.False(Directory.Exists(_temp.Combine("cache")) && Directory.EnumerateFiles(_temp.Combine("cache")).Any(), "nothing is cached for a broken profile");
    }

    [Fact]
    public void A_missing_or_corrupt_dlib_model_is_named()
    {
        var missing = _temp.Combine("none.dat");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => new DlibFaceLandmarkDetector(missing)).Message);
        var corrupt = _temp.Combine("corrupt.dat");
        File.WriteAllBytes(corrupt, new byte[4096]);
        Assert.Contains(corrupt, Assert.Throws<InvalidDataException>(() => new DlibFaceLandmarkDetector(corrupt)).Message);
    }

    [Fact]
    public void The_shipped_profiles_have_no_problems()
    {
        var library = new PresenterLibrary(Presenters, _temp.Combine("cache"), () => throw new InvalidOperationException("not needed"));
        Assert.Empty(library.Problems());
        Assert.Contains("default", library.Names);
    }
}
