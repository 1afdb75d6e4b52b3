// libfacelm: dlib's HOG face detector and 68-point shape predictor behind a C ABI, so NiusTv calls dlib in-process
// through P/Invoke (DlibDotNet is not available). Built from this file during the normal dotnet build (FaceLandmarks.targets).
// No C++ exception may cross the C boundary: every entry point catches and reports the message in an error buffer.
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace {
struct FaceLandmarker {
    dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
    dlib::shape_predictor predictor;
};

void report(char* error, int capacity, const std::string& message) {
    if (error == nullptr || capacity <= 0) return;
    std::strncpy(error, message.c_str(), static_cast<size_t>(capacity - 1));
    error[capacity - 1] = '\0';
}
}  // namespace

extern "C" {

// Loads the shape predictor model (shape_predictor_68_face_landmarks.dat). Returns null and fills error on failure.
void* facelm_create(const char* model_path, char* error, int capacity) {
    try {
        auto* landmarker = new FaceLandmarker();
        try {
            dlib::deserialize(model_path) >> landmarker->predictor;
        } catch (...) {
            delete landmarker;
            throw;
        }
        if (landmarker->predictor.num_parts() != 68) {
            std::string parts = std::to_string(landmarker->predictor.num_parts());
            delete landmarker;
            report(error, capacity, std::string("the model predicts ") + parts + " points, not 68");
            return nullptr;
        }
        return landmarker;
    } catch (const std::exception& e) {
        report(error, capacity, e.what());
    } catch (...) {
        report(error, capacity, "unknown error while loading the model");
    }
    return nullptr;
}

// Detects faces in a packed RGB image (3 bytes per pixel) and predicts 68 points for each, largest face first.
// boxes: 4 ints per face (left, top, right, bottom); points: 136 floats per face (x0, y0, x1, y1, ...).
// upsample: how many times the image is doubled before detection (finds faces smaller than ~80 px).
// Returns the number of faces found (may exceed max_faces; only max_faces are written), or -1 with error filled.
int facelm_detect(void* handle, const unsigned char* rgb, int width, int height, int upsample, int max_faces,
                  int* boxes, float* points, char* error, int capacity) {
    try {
        auto* landmarker = static_cast<FaceLandmarker*>(handle);
        dlib::array2d<dlib::rgb_pixel> image(height, width);
        for (int y = 0; y < height; ++y) {
            const unsigned char* row = rgb + static_cast<size_t>(y) * width * 3;
            for (int x = 0; x < width; ++x)
                image[y][x] = dlib::rgb_pixel(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
        }
        double scale = 1.0;
        for (int i = 0; i < upsample; ++i) {
            dlib::pyramid_up(image);
            scale *= 2.0;
        }
        std::vector<dlib::rectangle> faces = landmarker->detector(image);
        std::sort(faces.begin(), faces.end(),
                  [](const dlib::rectangle& a, const dlib::rectangle& b) { return a.area() > b.area(); });
        int written = std::min<int>(static_cast<int>(faces.size()), max_faces);
        for (int f = 0; f < written; ++f) {
            dlib::full_object_detection shape = landmarker->predictor(image, faces[f]);
            boxes[4 * f + 0] = static_cast<int>(faces[f].left() / scale);
            boxes[4 * f + 1] = static_cast<int>(faces[f].top() / scale);
            boxes[4 * f + 2] = static_cast<int>(faces[f].right() / scale);
            boxes[4 * f + 3] = static_cast<int>(faces[f].bottom() / scale);
            for (unsigned long p = 0; p < shape.num_parts(); ++p) {
                points[136 * f + 2 * p] = static_cast<float>(shape.part(p).x() / scale);
                points[136 * f + 2 * p + 1] = static_cast<float>(shape.part(p).y() / scale);
            }
        }
        return static_cast<int>(faces.size());
    } catch (const std::exception& e) {
        report(error, capacity, e.what());
    } catch (...) {
        report(error, capacity, "unknown error while detecting faces");
    }
    return -1;
}

void facelm_destroy(void* handle) { delete static_cast<FaceLandmarker*>(handle); }
}
