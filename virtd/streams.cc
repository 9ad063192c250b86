#include "virtd/streams.h"

#include "common/log.h"
#include "rpc/remote_protocol.h"
#include "rpc/wire_error.h"

namespace virtd {

// One open stream: exactly one of the three driver objects is set.
struct StreamRegistry::Stream {
    int32_t proc = 0;
    uint32_t serial = 0;
    std::unique_ptr<VolumeWriter> writer;    // upload: the client sends
    std::unique_ptr<VolumeReader> reader;    // download: we send
    std::unique_ptr<ConsoleChannel> console; // both ways
    std::atomic<bool> aborted{false};
};

void StreamRegistry::add(const rpc::CallContext& ctx, std::shared_ptr<Stream> s) {
    s->proc = ctx.proc;
    s->serial = ctx.serial;
    std::lock_guard lock(mu_);
    streams_[{ctx.client_id, ctx.serial}] = std::move(s);
}

void StreamRegistry::add_upload(const rpc::CallContext& ctx, std::unique_ptr<VolumeWriter> writer) {
    auto s = std::make_shared<Stream>();
    s->writer = std::move(writer);
    add(ctx, std::move(s));
}

void StreamRegistry::add_download(const rpc::CallContext& ctx,
                                  std::unique_ptr<VolumeReader> reader) {
    auto s = std::make_shared<Stream>();
    s->reader = std::move(reader);
    add(ctx, std::move(s));
}

void StreamRegistry::add_console(const rpc::CallContext& ctx,
                                 std::unique_ptr<ConsoleChannel> console) {
    auto s = std::make_shared<Stream>();
    s->console = std::move(console);
    add(ctx, std::move(s));
}

ConsoleOutput StreamRegistry::output_for(const rpc::CallContext& ctx) {
    ConsoleOutput out;
    out.data = [this, client = ctx.client_id, proc = ctx.proc,
                serial = ctx.serial](std::string_view d) {
        send(client, proc, serial, rpc::MessageStatus::Continue, std::string(d));
    };
    out.closed = [this, client = ctx.client_id, proc = ctx.proc, serial = ctx.serial] {
        if (!find({client, serial})) return;
        send(client, proc, serial, rpc::MessageStatus::Continue, {});
        remove({client, serial});
    };
    return out;
}

std::shared_ptr<StreamRegistry::Stream> StreamRegistry::find(Key key) {
    std::lock_guard lock(mu_);
    auto it = streams_.find(key);
    return it == streams_.end() ? nullptr : it->second;
}

void StreamRegistry::remove(Key key) {
    std::shared_ptr<Stream> gone; // destroyed outside the lock: a writer's destructor aborts
    std::lock_guard lock(mu_);
    if (auto it = streams_.find(key); it != streams_.end()) {
        gone = std::move(it->second);
        streams_.erase(it);
    }
}

void StreamRegistry::client_closed(uint64_t client_id) {
    std::map<Key, std::shared_ptr<Stream>> gone;
    {
        std::lock_guard lock(mu_);
        for (auto it = streams_.lower_bound({client_id, 0});
             it != streams_.end() && it->first.first == client_id;) {
            it->second->aborted = true;
            gone.insert(*it);
            it = streams_.erase(it);
        }
    }
}

void StreamRegistry::send(uint64_t client, int32_t proc, uint32_t serial, rpc::MessageStatus status,
                          std::string payload) {
    if (!server_) return;
    server_->send_packet(
        client,
        {rpc::kRemoteProgram, rpc::kRemoteVersion, proc, rpc::MessageType::Stream, serial, status},
        std::move(payload));
}

void StreamRegistry::send_error(uint64_t client, int32_t proc, uint32_t serial, const Error& e) {
    rpc::XdrWriter w;
    rpc::encode(w, rpc::to_remote_error(e));
    send(client, proc, serial, rpc::MessageStatus::Error, w.take());
}

void StreamRegistry::after_reply(const rpc::ClientInfo& client, const rpc::MessageHeader& call) {
    std::shared_ptr<Stream> s = find({client.id, call.serial});
    if (s && s->reader) pump(client.id, s);
}

// Sends a download's data, then the empty CONTINUE that marks its end; the client's STREAM/OK
// then closes it in handle_packet().
void StreamRegistry::pump(uint64_t client, const std::shared_ptr<Stream>& s) {
    for (;;) {
        if (s->aborted) return;
        Result<std::string> chunk = s->reader->read(rpc::kStreamChunkMax);
        if (!chunk) {
            send_error(client, s->proc, s->serial, chunk.error());
            remove({client, s->serial});
            return;
        }
        bool end = chunk->empty();
        send(client, s->proc, s->serial, rpc::MessageStatus::Continue, std::move(*chunk));
        if (end) return;
    }
}

void StreamRegistry::handle_packet(const rpc::ClientInfo& client, const rpc::MessageHeader& h,
                                   std::string_view payload) {
    Key key{client.id, h.serial};
    std::shared_ptr<Stream> s = find(key);
    if (!s) return; // late packets for a stream already closed are ignored, as libvirtd does
    switch (h.status) {
    case rpc::MessageStatus::Continue: {
        Status st;
        if (s->writer)
            st = s->writer->write(payload);
        else if (s->console)
            st = s->console->write(payload);
        else
            st = make_error(ErrorCode::Rpc, ErrorDomain::Streams,
                            "stream is read-only: no data may be sent on it");
        if (!st) {
            send_error(client.id, s->proc, s->serial, st.error());
            remove(key);
        }
        return;
    }
    case rpc::MessageStatus::Ok: {
        Status st = s->writer ? s->writer->finish() : Status{};
        if (st)
            send(client.id, s->proc, s->serial, rpc::MessageStatus::Ok, {});
        else
            send_error(client.id, s->proc, s->serial, st.error());
        remove(key);
        return;
    }
    case rpc::MessageStatus::Error:
        // The client aborted: nothing it sent is kept, and it waits for our confirmation.
        s->aborted = true;
        log::debug("rpc", "client {} aborted stream {}", client.id, h.serial);
        send(client.id, s->proc, s->serial, rpc::MessageStatus::Ok, {});
        remove(key);
        return;
    }
}

} // namespace virtd
