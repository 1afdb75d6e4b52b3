using System.Runtime.InteropServices;
using System.Text;

namespace NiusTv.Steps.Landmarks;

/// <summary>dlib 19.24's HOG frontal face detector and 68-point shape predictor, in-process through libfacelm.so
/// (Native/facelm.cpp, built with the project). The dlib objects are not thread-safe, so calls are serialized;
/// detection runs once per presenter photo, never per story frame, so one lock costs nothing.</summary>
public sealed class DlibFaceLandmarkDetector : IFaceLandmarkDetector
{
    /// <summary>Where Debian's libdlib-data puts the model.</summary>
    public const string DefaultModel = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
    private const int MaxFaces = 16;

    private readonly object _gate = new();
    private IntPtr _handle;

    /// <exception cref="FileNotFoundException">The model file is missing.</exception>
    /// <exception cref="InvalidDataException">The model does not load (corrupt, or not a 68-point predictor).</exception>
    /// <exception cref="DllNotFoundException">libfacelm.so (or dlib) is missing: the build did not make it.</exception>
    public DlibFaceLandmarkDetector(string modelPath = DefaultModel)
    {
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"the dlib landmark model {modelPath} is missing (Debian package libdlib-data)", modelPath);
        var error = new byte[1024];
        _handle = Native.facelm_create(modelPath, error, error.Length);
        if (_handle == IntPtr.Zero)
            throw new InvalidDataException($"the dlib landmark model {modelPath} does not load: {Text(error)}");
    }

    /// <summary>Tries the image as is, then doubled (dlib's HOG detector misses faces under about 80 px).</summary>
    public IReadOnlyList<DetectedFace> Detect(ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (width <= 0 || height <= 0 || rgb.Length < (long)width * height * 3)
            throw new ArgumentException($"an RGB image of {width}x{height} needs {(long)width * height * 3} bytes, got {rgb.Length}");
        var faces = Detect(rgb, width, height, upsample: 0);
        return faces.Count > 0 || (long)width * height > 4_000_000 ? faces : Detect(rgb, width, height, upsample: 1);
    }

    private List<DetectedFace> Detect(ReadOnlySpan<byte> rgb, int width, int height, int upsample)
    {
        var boxes = new int[MaxFaces * 4];
        var points = new float[MaxFaces * 136];
        var error = new byte[1024];
        int found;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_handle == IntPtr.Zero, this);
            unsafe
            {
                fixed (byte* pixels = rgb)
                    found = Native.facelm_detect(_handle, pixels, width, height, upsample, MaxFaces, boxes, points, error, error.Length);
            }
        }
        if (found < 0) throw new InvalidOperationException($"dlib face detection failed: {Text(error)}");
        var faces = new List<DetectedFace>(Math.Min(found, MaxFaces));
        for (var f = 0; f < Math.Min(found, MaxFaces); f++)
        {
            var pts = new float[68][];
            for (var p = 0; p < 68; p++) pts[p] = [points[136 * f + 2 * p], points[136 * f + 2 * p + 1]];
            faces.Add(new DetectedFace(new FaceBox(boxes[4 * f], boxes[4 * f + 1], boxes[4 * f + 2], boxes[4 * f + 3]), pts));
        }
        return faces;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_handle == IntPtr.Zero) return;
            Native.facelm_destroy(_handle);
            _handle = IntPtr.Zero;
        }
    }

    private static string Text(byte[] buffer)
    {
        var end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    private static class Native
    {
        [DllImport("facelm", CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr facelm_create([MarshalAs(UnmanagedType.LPUTF8Str)] string modelPath, byte[] error, int capacity);

        [DllImport("facelm", CallingConvention = CallingConvention.Cdecl)]
        public static extern unsafe int facelm_detect(IntPtr handle, byte* rgb, int width, int height, int upsample,
            int maxFaces, int[] boxes, float[] points, byte[] error, int capacity);

        [DllImport("facelm", CallingConvention = CallingConvention.Cdecl)]
        public static extern void facelm_destroy(IntPtr handle);
    }
}
