/* pcap capture files. */
#include <config.h>

#include "lib/pcap-file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "lib/timeval.h"
#include "lib/util.h"

namespace braid {
namespace {

constexpr uint32_t kMagic = 0xa1b2c3d4;         /* Microsecond timestamps. */
constexpr uint32_t kSwappedMagic = 0xd4c3b2a1;
constexpr uint32_t kLinkTypeEthernet = 1;
constexpr uint32_t kSnapLen = 262144;

/* The file header and record header of the pcap format, in host order. */
struct FileHeader {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    int32_t thiszone;
    uint32_t sigfigs;
    uint32_t snaplen;
    uint32_t linktype;
};
static_assert(sizeof(FileHeader) == 24);

struct RecordHeader {
    uint32_t ts_sec;
    uint32_t ts_usec;
    uint32_t incl_len;
    uint32_t orig_len;
};
static_assert(sizeof(RecordHeader) == 16);

int write_all(int fd, const void *data, size_t n)
{
    const auto *p = static_cast<const uint8_t *>(data);
    while (n > 0) {
        ssize_t r = ::write(fd, p, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return r < 0 ? errno : EIO;
        }
        p += r;
        n -= r;
    }
    return 0;
}

}  // namespace

PcapWriter::~PcapWriter()
{
    close(fd_);
}

std::unique_ptr<PcapWriter> PcapWriter::create(const std::string &path, std::string *error)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        *error = fmt::format("{}: cannot create capture file ({})", path,
                             errno_to_string(errno));
        return nullptr;
    }
    FileHeader h{kMagic, 2, 4, 0, 0, kSnapLen, kLinkTypeEthernet};
    if (int err = write_all(fd, &h, sizeof h)) {
        *error = fmt::format("{}: cannot write capture file ({})", path, errno_to_string(err));
        close(fd);
        return nullptr;
    }
    return std::unique_ptr<PcapWriter>(new PcapWriter(path, fd));
}

int PcapWriter::write(std::span<const uint8_t> frame)
{
    int64_t now = timeval::wall_msec();
    uint32_t len = std::min<size_t>(frame.size(), kSnapLen);
    RecordHeader h{uint32_t(now / 1000), uint32_t(now % 1000 * 1000), len,
                   uint32_t(frame.size())};
    /* One write per record, so that a concurrent reader never sees half. */
    std::vector<uint8_t> record(sizeof h + len);
    std::memcpy(record.data(), &h, sizeof h);
    std::memcpy(record.data() + sizeof h, frame.data(), len);
    return write_all(fd_, record.data(), record.size());
}

std::optional<std::vector<std::vector<uint8_t>>> pcap_read_all(const std::string &path,
                                                               std::string *error)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = fmt::format("{}: cannot open", path);
        return std::nullopt;
    }
    FileHeader h;
    if (!in.read(reinterpret_cast<char *>(&h), sizeof h)) {
        *error = fmt::format("{}: too short for a pcap header", path);
        return std::nullopt;
    }
    bool swapped = h.magic == kSwappedMagic;
    if (h.magic != kMagic && !swapped) {
        *error = fmt::format("{}: not a pcap file", path);
        return std::nullopt;
    }
    auto fix = [swapped](uint32_t v) { return swapped ? __builtin_bswap32(v) : v; };
    std::vector<std::vector<uint8_t>> frames;
    RecordHeader r;
    while (in.read(reinterpret_cast<char *>(&r), sizeof r)) {
        uint32_t len = fix(r.incl_len);
        if (len > kSnapLen) {
            *error = fmt::format("{}: record of {} bytes exceeds the snapshot length", path, len);
            return std::nullopt;
        }
        std::vector<uint8_t> frame(len);
        if (!in.read(reinterpret_cast<char *>(frame.data()), len)) {
            *error = fmt::format("{}: truncated record", path);
            return std::nullopt;
        }
        frames.push_back(std::move(frame));
    }
    return frames;
}

}  // namespace braid
