package org.mlp4j.io;

/**
 * Recognises, from a file's first bytes, the kinds of model files users pass by mistake, so that errors say
 * what the file is instead of reporting an absurd header length.
 */
final class FileKinds {
    private FileKinds() {
    }

    /** The safetensors format: an 8-byte header length, then a JSON object. */
    static boolean looksLikeSafeTensors(byte[] head, int n) {
        return n >= 9 && head[8] == '{';
    }

    /**
     * ONNX is a protobuf ModelProto whose first field is {@code ir_version} (field 1, varint: byte 0x08) with a
     * small value, followed by another field of the model (producer, graph, opset import...).
     */
    static boolean looksLikeOnnx(byte[] head, int n) {
        if (n < 3 || head[0] != 0x08 || head[1] < 1 || head[1] > 0x7f) {
            return false;
        }
        int next = head[2] & 0xff;
        int field = next >>> 3;
        int wire = next & 7;
        return field >= 2 && field <= 20 && (wire == 0 || wire == 2);
    }

    /**
     * What the file is, when it is recognisably not safetensors, with what to do about it; null otherwise.
     */
    static String describeOther(byte[] head, int n) {
        if (looksLikeSafeTensors(head, n)) {
            return null;
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return "it is a zip archive, as torch.save writes .pt/.pth files (a pickled PyTorch state dict). "
                    + "Save the state dict with safetensors.torch.save_file(model.state_dict(), path) and load it "
                    + "with ModelFiles.loadStateDict, or export the model with torch.onnx.export";
        }
        if (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
            return "it is a Python pickle (protocol " + head[1] + "), as torch.save writes legacy .pt/.pth files. "
                    + "Save the state dict with safetensors.torch.save_file(model.state_dict(), path) and load it "
                    + "with ModelFiles.loadStateDict, or export the model with torch.onnx.export";
        }
        if (looksLikeOnnx(head, n)) {
            return "it looks like an ONNX model (protobuf); load it with ModelFiles.load or Onnx.load";
        }
        if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return "it is gzip-compressed; decompress it first";
        }
        if (n >= 4 && (head[0] & 0xff) == 0x89 && head[1] == 'H' && head[2] == 'D' && head[3] == 'F') {
            return "it is an HDF5 file (e.g. a Keras .h5 model), which mlp4j does not read";
        }
        return null;
    }
}
