/* Writing and reading pcap capture files (the classic libpcap format,
 * microsecond timestamps, Ethernet link type), so that tcpdump and
 * wireshark read what Braid captures and tests can read it back. */
#ifndef BRAID_LIB_PCAP_FILE_H
#define BRAID_LIB_PCAP_FILE_H 1

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace braid {

class PcapWriter {
public:
    ~PcapWriter();
    PcapWriter(const PcapWriter &) = delete;
    PcapWriter &operator=(const PcapWriter &) = delete;

    /* Creates (truncates) 'path' and writes the file header.  Returns null
     * with '*error' set on failure. */
    static std::unique_ptr<PcapWriter> create(const std::string &path, std::string *error);

    /* Appends one frame, stamped with the wall clock, and flushes it, so a
     * reader sees every frame written so far.  Returns 0 or an errno. */
    int write(std::span<const uint8_t> frame);

    const std::string &path() const { return path_; }

private:
    PcapWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

    std::string path_;
    int fd_;
};

/* Every frame of the pcap file 'path' (in either byte order), or nullopt
 * with '*error' set if it is not a readable pcap file. */
std::optional<std::vector<std::vector<uint8_t>>> pcap_read_all(const std::string &path,
                                                               std::string *error);

}  // namespace braid

#endif  // BRAID_LIB_PCAP_FILE_H
