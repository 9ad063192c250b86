// StreamRegistry: the data streams that calls open (volume upload and download, consoles), each
// known by its client and the serial of the call that opened it. It moves STREAM packets
// between the client and the driver object behind the stream, following libvirt's stream
// protocol: data as STREAM/CONTINUE, the sender's end as an empty CONTINUE, the receiver's
// confirmation as STREAM/OK answered with STREAM/OK, an abort as STREAM/ERROR, and a failure
// on our side as STREAM/ERROR carrying the error.
//
// Thread safety: procedures register streams on worker threads; packets arrive on the loop
// thread; a download is pumped on the worker that ran its call.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "drivers/domain_driver.h"
#include "drivers/storage_driver.h"
#include "rpc/call_context.h"
#include "rpc/server.h"

namespace virtd {

class StreamRegistry {
public:
    void set_server(rpc::RpcServer* server) { server_ = server; }

    // Called by the procedure that opens the stream, before its reply goes out.
    void add_upload(const rpc::CallContext& ctx, std::unique_ptr<VolumeWriter> writer);
    void add_download(const rpc::CallContext& ctx, std::unique_ptr<VolumeReader> reader);
    void add_console(const rpc::CallContext& ctx, std::unique_ptr<ConsoleChannel> console);
    // Where a console's output goes: guest output is sent on the stream ctx opens; its end on
    // the driver's side ends the stream (an empty CONTINUE, as at the end of a download).
    ConsoleOutput output_for(const rpc::CallContext& ctx);

    // rpc::CallHandler hooks.
    void after_reply(const rpc::ClientInfo& client, const rpc::MessageHeader& call);
    void handle_packet(const rpc::ClientInfo& client, const rpc::MessageHeader& h,
                       std::string_view payload);
    void client_closed(uint64_t client_id);

private:
    struct Stream;
    using Key = std::pair<uint64_t, uint32_t>; // client, serial

    void add(const rpc::CallContext& ctx, std::shared_ptr<Stream> s);
    std::shared_ptr<Stream> find(Key key);
    void remove(Key key);
    void send(uint64_t client, int32_t proc, uint32_t serial, rpc::MessageStatus status,
              std::string payload);
    void send_error(uint64_t client, int32_t proc, uint32_t serial, const Error& e);
    void pump(uint64_t client, const std::shared_ptr<Stream>& s);

    rpc::RpcServer* server_ = nullptr;
    std::mutex mu_;
    std::map<Key, std::shared_ptr<Stream>> streams_; // guarded by mu_
};

} // namespace virtd
