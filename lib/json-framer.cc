/* Framing of concatenated JSON values.
 *
 * feed() walks the new bytes once.  Between values it drops whitespace and
 * checks the first byte of the next value.  Inside a value it tracks only
 * what decides where the value ends: the nesting depth of '{'/'[' against
 * '}'/']', and string literals (with their backslash escapes), whose contents
 * never count.  The bytes of the value are appended to 'partial_' in one
 * piece per feed() call, and when the depth returns to zero the whole text is
 * parsed.  The scanner does not check that brackets match or that anything
 * between them is valid: a framed text with such a fault does not parse, so
 * the parser reports it. */
#include <config.h>

#include "lib/json-framer.h"

#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace braid {
namespace {

/* Once a value is complete, 'partial_' keeps its capacity for the next value
 * unless it grew beyond this, so one huge message does not pin its memory. */
constexpr size_t kKeepCapacity = 64 * 1024;

bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Describes byte 'c' for an error message, e.g. "'5'" or "byte 0x00". */
std::string describe_byte(char c)
{
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f) {
        return fmt::format("'{}'", c);
    }
    return fmt::format("byte 0x{:02x}", u);
}

/* A SAX handler that ignores every event except a parse error, whose
 * description it keeps.  It is used only to explain why a text that
 * nlohmann::json::parse() rejected is invalid, without exceptions. */
class ErrorCatcher : public nlohmann::json_sax<nlohmann::json> {
public:
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t &) override { return true; }
    bool string(string_t &) override { return true; }
    bool binary(binary_t &) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t &) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }

    bool parse_error(std::size_t, const std::string &,
                     const nlohmann::json::exception &ex) override
    {
        /* Drop the "[json.exception.parse_error.101] " tag. */
        std::string_view what = ex.what();
        if (!what.empty() && what[0] == '[') {
            size_t end = what.find("] ");
            if (end != std::string_view::npos) {
                what.remove_prefix(end + 2);
            }
        }
        message_ = what;
        return false;
    }

    /* The parse error's description, or empty if there was none. */
    const std::string &message() const { return message_; }

private:
    std::string message_;
};

/* Explains why 'text' is not valid JSON. */
std::string explain_invalid(const std::string &text)
{
    ErrorCatcher catcher;
    nlohmann::json::sax_parse(text, &catcher);
    return catcher.message().empty() ? std::string("parse error")
                                     : catcher.message();
}

}  // namespace

JsonFramer::JsonFramer(size_t max_message_size)
    : max_message_size_(max_message_size)
{
}

JsonFramer::ScanResult JsonFramer::scan_byte(char c)
{
    if (in_string_) {
        if (escape_) {
            escape_ = false;
        } else if (c == '\\') {
            escape_ = true;
        } else if (c == '"') {
            in_string_ = false;
        }
        return ScanResult::kMore;
    }
    switch (c) {
    case '"':
        in_string_ = true;
        break;
    case '{':
    case '[':
        if (++depth_ > kMaxDepth) {
            return ScanResult::kTooDeep;
        }
        break;
    case '}':
    case ']':
        if (--depth_ == 0) {
            return ScanResult::kComplete;
        }
        break;
    default:
        break;
    }
    return ScanResult::kMore;
}

bool JsonFramer::feed(std::string_view data)
{
    if (failed_) {
        return false;
    }

    size_t i = 0;
    while (i < data.size()) {
        if (!in_value_) {
            char c = data[i];
            if (is_json_space(c)) {
                i++;
                continue;
            }
            if (c != '{' && c != '[') {
                fail(fmt::format("invalid JSON: a message must be an object or "
                                 "an array, but it starts with {}",
                                 describe_byte(c)));
                return false;
            }
            in_value_ = true;
        }

        /* Scan up to the end of the value or of 'data', whichever is first,
         * then append that whole run to 'partial_'. */
        size_t start = i;
        ScanResult result = ScanResult::kMore;
        while (i < data.size() && result == ScanResult::kMore) {
            if (partial_.size() + (i - start) >= max_message_size_) {
                fail(fmt::format("message too large: a JSON value exceeds "
                                 "the limit of {} bytes", max_message_size_));
                return false;
            }
            result = scan_byte(data[i++]);
        }
        if (result == ScanResult::kTooDeep) {
            fail(fmt::format("invalid JSON: nesting deeper than {} levels",
                             kMaxDepth));
            return false;
        }
        partial_.append(data.substr(start, i - start));
        if (result == ScanResult::kComplete && !finish_value()) {
            return false;
        }
    }
    return true;
}

bool JsonFramer::finish_value()
{
    nlohmann::json value = nlohmann::json::parse(partial_, nullptr, false);
    if (value.is_discarded()) {
        fail("invalid JSON: " + explain_invalid(partial_));
        return false;
    }
    queue_.push_back({std::move(value), partial_.size()});
    queued_bytes_ += partial_.size();

    if (partial_.capacity() > kKeepCapacity) {
        std::string().swap(partial_);
    } else {
        partial_.clear();
    }
    in_value_ = false;
    depth_ = 0;
    in_string_ = false;
    escape_ = false;
    return true;
}

std::optional<nlohmann::json> JsonFramer::next()
{
    if (queue_.empty()) {
        return std::nullopt;
    }
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= q.size;
    return std::move(q.value);
}

void JsonFramer::fail(std::string why)
{
    failed_ = true;
    error_ = std::move(why);
    std::string().swap(partial_);
    in_value_ = false;
    depth_ = 0;
    in_string_ = false;
    escape_ = false;
}

}  // namespace braid
