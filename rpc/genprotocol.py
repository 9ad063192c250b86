#!/usr/bin/python3
"""Generates C++ for an RPC protocol definition (rpc/remote_protocol.def).

Emits one header and one source: a struct per type and per procedure's arguments/reply/message,
XDR encode/decode for each, and per program a procedure table, a server handler interface with
its dispatch function, and client stubs. See the .def file for the notation.

usage: genprotocol.py DEF OUT_H OUT_CC
"""
import re
import sys

SCALARS = {
    # def type: (C++ type, writer call, reader call, minimum wire bytes)
    'int': ('int32_t', 'i32', 'i32', 4),
    'uint': ('uint32_t', 'u32', 'u32', 4),
    'hyper': ('int64_t', 'i64', 'i64', 8),
    'uhyper': ('uint64_t', 'u64', 'u64', 8),
    'uchar': ('uint8_t', 'u32', 'u8', 4),
    'ushort': ('uint16_t', 'u32', 'u16', 4),
    'bool': ('bool', 'boolean', 'boolean', 4),
    'double': ('double', 'f64', 'f64', 8),
}
FIELD_RE = re.compile(r'^(\w+)(\?)?\s+(\w+)(?:<(\w+)>|\[(\w+)\])?$')
# Words libvirt's public API spells in capitals (virDomainLookupByUUID, virNetworkGetDHCPLeases).
API_ACRONYMS = {'xml': 'XML', 'uuid': 'UUID', 'id': 'ID', 'os': 'OS', 'dhcp': 'DHCP'}


def api_name(proc_name):
    """The libvirt API a procedure serves, as libvirt names it in messages: domain_define_xml ->
    virDomainDefineXML."""
    return 'vir' + ''.join(API_ACRONYMS.get(w, w.capitalize()) for w in proc_name.split('_'))


ATTR_FLAGS = {'preopen': 'kProcPreOpen', 'readonly': 'kProcReadOnly', 'stream': 'kProcStream',
              'fast': 'kProcFast'}

# Access control object kinds: the .def's name -> AclObject enumerator, and the handle type that
# names such an object in a procedure's arguments or reply. A snapshot is checked as its domain.
ACL_OBJECTS = {'connect': 'Connect', 'domain': 'Domain', 'network': 'Network',
               'storage_pool': 'StoragePool', 'storage_vol': 'StorageVol'}
ACL_HANDLES = {'domain': ('nonnull_domain', 'nonnull_domain_snapshot'),
               'network': ('nonnull_network',), 'storage_pool': ('nonnull_storage_pool',),
               'storage_vol': ('nonnull_storage_vol',)}
ACL_PERM_RE = re.compile(r'^(\w+):(\w+)(?:@(\w+))?$')
XML_FIELDS = ('xml', 'xml_desc')


def parse_acl(value, where, allow_field):
    """acl=/filter= values: OBJECT:PERM[@FIELD],... -> [(object, perm, field or None)]."""
    out = []
    for item in value.split(','):
        m = ACL_PERM_RE.match(item)
        if not m:
            sys.exit(f'{where}: cannot read permission "{item}" (want OBJECT:PERMISSION)')
        if m[1] not in ACL_OBJECTS:
            sys.exit(f'{where}: unknown access control object "{m[1]}" '
                     f'(one of {", ".join(ACL_OBJECTS)})')
        if m[3] and not allow_field:
            sys.exit(f'{where}: "@{m[3]}" is only for acl= permissions')
        out.append((m[1], m[2], m[3]))
    return out


def camel(name):
    return ''.join(p[:1].upper() + p[1:] for p in name.split('_'))


class Field:
    def __init__(self, text, where):
        m = FIELD_RE.match(text.strip())
        if not m:
            sys.exit(f'{where}: cannot read field "{text.strip()}"')
        self.type, opt, self.name, self.limit, self.fixed = m.groups()
        self.optional = opt == '?'
        self.kind = 'plain'
        if self.type in ('opaque', 'char'):
            self.kind = 'chars' if self.type == 'char' else 'opaque'
            if self.fixed:
                self.kind = 'fixed_chars'
            if not (self.limit or self.fixed):
                sys.exit(f'{where}: {self.type} field "{self.name}" needs <LIMIT> or [N]')
        elif self.limit:
            self.kind = 'array'
        elif self.fixed:
            sys.exit(f'{where}: [N] is only for char fields')


class Proto:
    def __init__(self):
        self.consts = {}
        self.types = {}      # name -> ('struct', fields) | ('union', disc_field, arms)
        self.order = []      # type names in definition order
        self.programs = []   # dicts: name, number, version, procs, messages

    def value(self, token, where):
        if token in self.consts:
            return self.consts[token]
        try:
            return int(token, 0)
        except ValueError:
            sys.exit(f'{where}: unknown constant "{token}"')


def split_top(text):
    """Splits on commas that are not inside <> or []."""
    parts, depth, cur = [], 0, ''
    for ch in text:
        if ch in '<[':
            depth += 1
        elif ch in '>]':
            depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def fields_of(text, where):
    return [Field(f, where) for f in split_top(text)]


def parse(path):
    proto = Proto()
    lines = []
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.split('#', 1)[0].rstrip()
            if not line.strip():
                continue
            if line[0] in ' \t' and lines:
                lines[-1] = (lines[-1][0], lines[-1][1] + ' ' + line.strip())
            else:
                lines.append((n, line.strip()))
    program = None
    for n, line in lines:
        where = f'{path}:{n}'
        if m := re.match(r'^const (\w+) (\S+)$', line):
            proto.consts[m[1]] = int(m[2], 0)
        elif m := re.match(r'^struct (\w+) \((.*)\)$', line):
            proto.types[m[1]] = ('struct', fields_of(m[2], where))
            proto.order.append(m[1])
        elif m := re.match(r'^union (\w+) switch \((\w+) (\w+)\) \((.*)\)$', line):
            arms = []
            for arm in split_top(m[4]):
                value, field = arm.split(':', 1)
                arms.append((int(value, 0), Field(field, where)))
            proto.types[m[1]] = ('union', Field(f'{m[2]} {m[3]}', where), arms)
            proto.order.append(m[1])
        elif m := re.match(r'^program (\w+) (\S+) (\d+)$', line):
            program = {'name': m[1], 'number': int(m[2], 0), 'version': int(m[3]),
                       'procs': [], 'messages': []}
            proto.programs.append(program)
        elif m := re.match(r'^proc (\d+) (\w+) \((.*?)\) -> \((.*?)\)(?: \[([^\]]*)\])?$', line):
            attrs, acl, filt = [], None, []
            for a in (m[5] or '').split():
                if a == 'acl=none':
                    acl = []
                elif a.startswith('acl='):
                    acl = parse_acl(a[4:], where, True)
                elif a.startswith('filter='):
                    filt = parse_acl(a[7:], where, False)
                elif a in ATTR_FLAGS:
                    attrs.append(a)
                else:
                    sys.exit(f'{where}: unknown attribute "{a}"')
            if acl is None and program['name'] == 'remote':
                sys.exit(f'{where}: proc {m[2]} has no acl= attribute: name the permissions it '
                         'needs (acl=OBJECT:PERM,...) or acl=none')
            program['procs'].append({'number': int(m[1]), 'name': m[2],
                                     'args': fields_of(m[3], where),
                                     'ret': fields_of(m[4], where), 'attrs': attrs,
                                     'acl': acl or [], 'filter': filt, 'where': where})
        elif m := re.match(r'^message (\d+) (\w+) \((.*)\)$', line):
            program['messages'].append({'number': int(m[1]), 'name': m[2],
                                        'fields': fields_of(m[3], where)})
        else:
            sys.exit(f'{where}: cannot read "{line}"')
    check(proto)
    return proto


def check(proto):
    known = set(SCALARS) | {'string', 'uuid', 'opaque', 'char'} | set(proto.types)

    def check_fields(fields, what):
        for f in fields:
            if f.type not in known:
                sys.exit(f'{what}: unknown type "{f.type}"')
            if f.limit:
                proto.value(f.limit, what)
    for name in proto.order:
        t = proto.types[name]
        check_fields(t[1] if t[0] == 'struct' else [a[1] for a in t[2]], name)
    for p in proto.programs:
        seen = set()
        for proc in p['procs'] + p['messages']:
            if proc['number'] in seen:
                sys.exit(f'program {p["name"]}: number {proc["number"]} used twice')
            seen.add(proc['number'])
            check_fields(proc.get('args', []) + proc.get('ret', []) + proc.get('fields', []),
                         proc['name'])


def handle_ref(f, var):
    """(name, parent) C++ expressions for an object handle field."""
    if f.type == 'nonnull_domain_snapshot':
        return f'{var}.{f.name}.dom.name', '{}'
    if f.type == 'nonnull_storage_vol':
        return f'{var}.{f.name}.name', f'{var}.{f.name}.pool'
    return f'{var}.{f.name}.name', '{}'


def acl_checks(proc):
    """Where each permission of a procedure is checked: [(phase, AclCheck initializer)]. Phase
    'pre' runs after the arguments are decoded and before the handler; 'post' checks the object
    the handler returned, before the reply is encoded (lookups, whose object is known only then).
    The object is, in order: the argument named by @FIELD; the first argument that is a handle of
    the permission's kind; an xml argument describing a new object; the handle in the reply;
    otherwise none (only rules that name no object grant it)."""
    out = []
    plain = [f for f in proc['args'] if not f.optional and f.kind == 'plain']
    for obj, perm, field in proc['acl']:
        kind = f'AclObject::{ACL_OBJECTS[obj]}'
        head = f'AclCheck{{{kind}, "{perm}"'
        if obj == 'connect':
            out.append(('pre', head + ', {}, {}, {}}'))
            continue
        handles = ACL_HANDLES[obj]
        parent_pool = next((f'a.{f.name}.name' for f in plain
                            if f.type == 'nonnull_storage_pool'), '{}')
        if field:
            f = next((f for f in plain if f.name == field), None)
            if f is None:
                sys.exit(f'{proc["where"]}: {obj}:{perm}@{field}: no argument "{field}"')
            if f.type in handles:
                name, parent = handle_ref(f, 'a')
                out.append(('pre', f'{head}, {name}, {parent}, {{}}}}'))
            elif f.type == 'string':
                parent = parent_pool if obj == 'storage_vol' else '{}'
                out.append(('pre', f'{head}, {{}}, {parent}, a.{f.name}}}'))
            else:
                sys.exit(f'{proc["where"]}: {obj}:{perm}@{field}: "{field}" is neither a '
                         f'{obj} handle nor an XML string')
            continue
        f = next((f for f in plain if f.type in handles), None)
        if f:
            name, parent = handle_ref(f, 'a')
            out.append(('pre', f'{head}, {name}, {parent}, {{}}}}'))
            continue
        f = next((f for f in plain if f.name in XML_FIELDS and f.type == 'string'), None)
        if f:
            parent = parent_pool if obj == 'storage_vol' else '{}'
            out.append(('pre', f'{head}, {{}}, {parent}, a.{f.name}}}'))
            continue
        f = next((f for f in proc['ret'] if not f.optional and f.kind == 'plain'
                  and f.type in handles), None)
        if f:
            name, parent = handle_ref(f, '(*r)')
            out.append(('post', f'{head}, {name}, {parent}, {{}}}}'))
            continue
        out.append(('pre', head + ', {}, {}, {}}'))
    return out


def acl_table(items):
    return ', '.join(f'{{AclObject::{ACL_OBJECTS[o]}, "{p}"}}' for o, p, _ in items)


class Emitter:
    def __init__(self, proto):
        self.proto = proto

    def base_type(self, f):
        if f.type in SCALARS:
            return SCALARS[f.type][0]
        if f.type == 'string' or f.kind in ('opaque', 'chars', 'fixed_chars'):
            return 'std::string'
        if f.type == 'uuid':
            return 'std::array<uint8_t, 16>'
        return camel(f.type)

    def cxx_type(self, f):
        t = self.base_type(f)
        if f.kind == 'array':
            t = f'std::vector<{t}>'
        if f.optional:
            t = f'std::optional<{t}>'
        return t

    def min_size(self, type_name):
        if type_name in SCALARS:
            return SCALARS[type_name][3]
        if type_name == 'uuid':
            return 16
        if type_name in ('string', 'opaque', 'char'):
            return 4
        t = self.proto.types[type_name]
        if t[0] == 'union':
            return 4
        return sum(4 if f.optional or f.kind != 'plain' else self.min_size(f.type)
                   for f in t[1])

    def encode_value(self, f, expr):
        if f.kind == 'opaque':
            return f'w.opaque({expr});'
        if f.kind == 'chars':
            return f'w.char_array({expr});'
        if f.kind == 'fixed_chars':
            return f'w.fixed_char_array({expr}, {self.proto.value(f.fixed, f.name)});'
        if f.type in SCALARS:
            return f'w.{SCALARS[f.type][1]}({expr});'
        if f.type == 'string':
            return f'w.string({expr});'
        if f.type == 'uuid':
            return f'w.fixed_opaque({expr}.data(), 16);'
        return f'encode(w, {expr});'

    def decode_value(self, f, expr):
        if f.kind == 'opaque':
            return f'r.opaque({expr}, {self.proto.value(f.limit, f.name)})'
        if f.kind == 'chars':
            return f'r.char_array({expr}, {self.proto.value(f.limit, f.name)})'
        if f.kind == 'fixed_chars':
            return f'r.fixed_char_array({expr}, {self.proto.value(f.fixed, f.name)})'
        if f.type in SCALARS:
            return f'r.{SCALARS[f.type][2]}({expr})'
        if f.type == 'string':
            return f'r.string({expr})'
        if f.type == 'uuid':
            return f'r.fixed_opaque({expr}.data(), 16)'
        return f'decode(r, {expr})'

    def encode_field(self, f, out):
        expr = f'v.{f.name}'
        ind = '    '
        if f.optional:
            out.append(f'{ind}w.boolean({expr}.has_value());')
            out.append(f'{ind}if ({expr}) {{')
            expr = f'(*{expr})'
            ind += '    '
        if f.kind == 'array':
            out.append(f'{ind}w.u32(static_cast<uint32_t>({expr}.size()));')
            out.append(f'{ind}for (const auto& e : {expr}) {self.encode_value(f, "e")}')
        else:
            out.append(f'{ind}{self.encode_value(f, expr)}')
        if f.optional:
            out.append('    }')

    def decode_field(self, f, out):
        expr = f'v.{f.name}'
        ind = '    '
        if f.optional:
            out.append(f'{ind}{{')
            out.append(f'{ind}    bool present = false;')
            out.append(f'{ind}    if (!r.boolean(present)) return false;')
            out.append(f'{ind}    if (!present) {{')
            out.append(f'{ind}        {expr}.reset();')
            out.append(f'{ind}    }} else {{')
            out.append(f'{ind}        {expr}.emplace();')
            expr = f'(*{expr})'
            ind += '        '
        if f.kind == 'array':
            limit = self.proto.value(f.limit, f.name)
            out.append(f'{ind}{{')
            out.append(f'{ind}    uint32_t n = 0;')
            out.append(f'{ind}    if (!r.count(n, {limit}, {self.min_size(f.type)})) return false;')
            out.append(f'{ind}    {expr}.resize(n);')
            out.append(f'{ind}    for (auto& e : {expr})')
            out.append(f'{ind}        if (!{self.decode_value(f, "e")}) return false;')
            out.append(f'{ind}}}')
        else:
            out.append(f'{ind}if (!{self.decode_value(f, expr)}) return false;')
        if f.optional:
            out.append('        }')  # else
            out.append('    }')  # block

    def struct(self, name, fields, h, cc, comment=None):
        if comment:
            h.append(f'// {comment}')
        h.append(f'struct {name} {{')
        for f in fields:
            init = '{}'
            h.append(f'    {self.cxx_type(f)} {f.name}{init};')
        h.append('')
        h.append(f'    bool operator==(const {name}&) const = default;')
        h.append('};')
        h.append(f'void encode(XdrWriter& w, const {name}& v);')
        h.append(f'bool decode(XdrReader& r, {name}& v);')
        h.append('')
        cc.append(f'void encode(XdrWriter& w, const {name}& v) {{')
        if not fields:
            cc.append('    (void)w;')
            cc.append('    (void)v;')
        for f in fields:
            self.encode_field(f, cc)
        cc.append('}')
        cc.append('')
        cc.append(f'bool decode(XdrReader& r, {name}& v) {{')
        if not fields:
            cc.append('    (void)v;')
            cc.append('    return r.ok();')
        else:
            for f in fields:
                self.decode_field(f, cc)
            cc.append('    return true;')
        cc.append('}')
        cc.append('')

    def union(self, name, disc, arms, h, cc):
        h.append(f'// A discriminated union: only the member named by {disc.name} travels.')
        h.append(f'struct {name} {{')
        h.append(f'    {self.cxx_type(disc)} {disc.name}{{}};')
        for _, f in arms:
            h.append(f'    {self.cxx_type(f)} {f.name}{{}};')
        h.append('')
        h.append(f'    bool operator==(const {name}&) const = default;')
        h.append('};')
        h.append(f'void encode(XdrWriter& w, const {name}& v);')
        h.append(f'bool decode(XdrReader& r, {name}& v);')
        h.append('')
        cc.append(f'void encode(XdrWriter& w, const {name}& v) {{')
        cc.append(f'    {self.encode_value(disc, "v." + disc.name)}')
        cc.append(f'    switch (v.{disc.name}) {{')
        for value, f in arms:
            cc.append(f'    case {value}: {self.encode_value(f, "v." + f.name)} break;')
        cc.append('    default: break;')
        cc.append('    }')
        cc.append('}')
        cc.append('')
        cc.append(f'bool decode(XdrReader& r, {name}& v) {{')
        cc.append(f'    if (!{self.decode_value(disc, "v." + disc.name)}) return false;')
        cc.append(f'    switch (v.{disc.name}) {{')
        for value, f in arms:
            cc.append(f'    case {value}: return {self.decode_value(f, "v." + f.name)};')
        cc.append(f'    default: return r.fail("unknown {name} {disc.name} " + '
                  f'std::to_string(v.{disc.name}));')
        cc.append('    }')
        cc.append('}')
        cc.append('')

    def program(self, p, h, cc):
        P = camel(p['name'])
        h.append(f'// ---- program {p["name"]} ----')
        h.append('')
        h.append(f'inline constexpr uint32_t k{P}Program = {p["number"]:#x};')
        h.append(f'inline constexpr uint32_t k{P}Version = {p["version"]};')
        h.append('')
        h.append(f'enum class {P}Proc : int32_t {{')
        for proc in sorted(p['procs'] + p['messages'], key=lambda x: x['number']):
            h.append(f'    {camel(proc["name"])} = {proc["number"]},')
        h.append('};')
        h.append('')
        for proc in p['procs']:
            C = camel(proc['name'])
            if proc['args']:
                self.struct(f'{C}Args', proc['args'], h, cc,
                            f'Arguments of {proc["name"]} ({proc["number"]}).')
            if proc['ret']:
                self.struct(f'{C}Ret', proc['ret'], h, cc,
                            f'Reply of {proc["name"]} ({proc["number"]}).')
        for msg in p['messages']:
            if msg['fields']:
                self.struct(f'{camel(msg["name"])}Msg', msg['fields'], h, cc,
                            f'Message {msg["name"]} ({msg["number"]}).')
        if not p['procs']:
            return
        # procedure table
        h.append(f'// What is known about each {p["name"]} procedure; nullptr for unknown numbers.')
        h.append(f'const ProcedureInfo* {p["name"]}_procedure(int32_t number);')
        h.append('')
        cc.append(f'const ProcedureInfo* {p["name"]}_procedure(int32_t number) {{')
        for proc in sorted(p['procs'], key=lambda x: x['number']):
            if proc['acl']:
                cc.append(f'    static constexpr AclPermission kAcl{proc["number"]}[] = '
                          f'{{{acl_table(proc["acl"])}}};')
            if proc['filter']:
                cc.append(f'    static constexpr AclPermission kFilter{proc["number"]}[] = '
                          f'{{{acl_table(proc["filter"])}}};')
        cc.append('    static constexpr ProcedureInfo kTable[] = {')
        for proc in sorted(p['procs'], key=lambda x: x['number']):
            flags = ' | '.join(ATTR_FLAGS[a] for a in proc['attrs']) or '0'
            acl = f'kAcl{proc["number"]}' if proc['acl'] else '{}'
            filt = f'kFilter{proc["number"]}' if proc['filter'] else '{}'
            cc.append(f'        {{{proc["number"]}, "{proc["name"]}", {flags}, '
                      f'"{api_name(proc["name"])}", {acl}, {filt}}},')
        cc.append('    };')
        cc.append('    auto it = std::lower_bound(std::begin(kTable), std::end(kTable), number,')
        cc.append('                               [](const ProcedureInfo& p, int32_t n) '
                  '{ return p.number < n; });')
        cc.append('    return it != std::end(kTable) && it->number == number ? &*it : nullptr;')
        cc.append('}')
        cc.append('')
        # server interface
        h.append(f'// The server side of program {p["name"]}: one method per procedure. Every')
        h.append('// method defaults to the "unknown procedure" error, which stock clients read')
        h.append('// as "not supported" and fall back from; a server overrides what it implements.')
        h.append(f'class {P}Handlers {{')
        h.append('public:')
        h.append(f'    virtual ~{P}Handlers() = default;')
        h.append('    // Access control: dispatch asks this for every permission a procedure needs')
        h.append('    // (acl= in the .def), on the object it acts on. The default allows all.')
        h.append('    virtual Status authorize(const CallContext& ctx, const AclCheck& check);')
        cc.append(f'Status {P}Handlers::authorize(const CallContext& /*ctx*/, '
                  'const AclCheck& /*check*/) {')
        cc.append('    return {};')
        cc.append('}')
        cc.append('')
        for proc in p['procs']:
            C = camel(proc['name'])
            ret = f'Result<{C}Ret>' if proc['ret'] else 'Status'
            args = ', const ' + C + 'Args& args' if proc['args'] else ''
            h.append(f'    virtual {ret} {proc["name"]}(const CallContext& ctx{args});')
            cc.append(f'{ret} {P}Handlers::{proc["name"]}(const CallContext& /*ctx*/'
                      f'{", const " + C + "Args& /*args*/" if proc["args"] else ""}) {{')
            cc.append(f'    return unknown_procedure({proc["number"]});')
            cc.append('}')
            cc.append('')
        h.append('};')
        h.append('')
        h.append(f'// Decodes the arguments of `proc`, runs it on `handlers` and encodes its reply into')
        h.append('// `reply`. Fails with the handler\'s error, "unknown procedure", or a malformed-')
        h.append('// arguments error naming the procedure.')
        h.append(f'Status dispatch_{p["name"]}({P}Handlers& handlers, const CallContext& ctx, '
                 'int32_t proc,')
        h.append('                XdrReader& args, XdrWriter& reply);')
        h.append('')
        cc.append(f'Status dispatch_{p["name"]}({P}Handlers& handlers, const CallContext& ctx, '
                  'int32_t proc,')
        cc.append('                XdrReader& args, XdrWriter& reply) {')
        cc.append('    switch (proc) {')
        for proc in p['procs']:
            C = camel(proc['name'])
            cc.append(f'    case {proc["number"]}: {{')
            call_args = 'ctx'
            if proc['args']:
                cc.append(f'        {C}Args a;')
                cc.append('        if (!decode(args, a) || !args.finish())')
                cc.append(f'            return malformed_call("{proc["name"]}", args.error());')
                call_args += ', a'
            else:
                cc.append('        if (!args.finish())')
                cc.append(f'            return malformed_call("{proc["name"]}", args.error());')
            checks = acl_checks(proc)
            for phase, check in checks:
                if phase == 'pre':
                    cc.append(f'        if (Status s = handlers.authorize(ctx, {check}); !s) '
                              'return s;')
            if proc['ret']:
                cc.append(f'        Result<{C}Ret> r = handlers.{proc["name"]}({call_args});')
                cc.append('        if (!r) return r.error();')
                for phase, check in checks:
                    if phase == 'post':
                        cc.append(f'        if (Status s = handlers.authorize(ctx, {check}); !s) '
                                  'return s;')
                cc.append('        encode(reply, *r);')
                cc.append('        return {};')
            else:
                cc.append('        (void)reply;')
                cc.append(f'        return handlers.{proc["name"]}({call_args});')
            cc.append('    }')
        cc.append('    default:')
        cc.append('        return unknown_procedure(proc);')
        cc.append('    }')
        cc.append('}')
        cc.append('')
        # client stubs
        h.append(f'// The client side of program {p["name"]}: encodes a call, sends it through a')
        h.append('// caller, decodes the reply. Thread safety is the caller\'s.')
        h.append(f'class {P}Client {{')
        h.append('public:')
        h.append(f'    explicit {P}Client(RpcCaller& caller) : caller_(caller) {{}}')
        for proc in p['procs']:
            C = camel(proc['name'])
            ret = f'Result<{C}Ret>' if proc['ret'] else 'Status'
            args = f'const {C}Args& args' if proc['args'] else ''
            h.append(f'    {ret} {proc["name"]}({args});')
            cc.append(f'{ret} {P}Client::{proc["name"]}({args}) {{')
            cc.append('    XdrWriter w;')
            if proc['args']:
                cc.append('    encode(w, args);')
            cc.append(f'    Result<std::string> payload = caller_.call(k{P}Program, k{P}Version, '
                      f'{proc["number"]}, w.take());')
            cc.append('    if (!payload) return payload.error();')
            cc.append('    XdrReader r(*payload);')
            if proc['ret']:
                cc.append(f'    {C}Ret ret;')
                cc.append('    if (!decode(r, ret) || !r.finish())')
                cc.append(f'        return malformed_reply("{proc["name"]}", r.error());')
                cc.append('    return ret;')
            else:
                cc.append('    if (!r.finish())')
                cc.append(f'        return malformed_reply("{proc["name"]}", r.error());')
                cc.append('    return {};')
            cc.append('}')
            cc.append('')
        h.append('')
        h.append('private:')
        h.append('    RpcCaller& caller_;')
        h.append('};')
        h.append('')


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    proto = parse(sys.argv[1])
    header_name = 'rpc/' + sys.argv[2].rsplit('/', 1)[-1]
    e = Emitter(proto)
    h = ['// Generated by rpc/genprotocol.py from rpc/remote_protocol.def. Do not edit.',
         '#pragma once', '', '#include <array>', '#include <cstdint>', '#include <optional>',
         '#include <string>', '#include <vector>', '', '#include "common/error.h"',
         '#include "rpc/call_context.h"', '#include "rpc/errors.h"', '#include "rpc/xdr.h"', '',
         'namespace virtd::rpc {', '']
    cc = ['// Generated by rpc/genprotocol.py from rpc/remote_protocol.def. Do not edit.',
          f'#include "{header_name}"', '', '#include <algorithm>', '#include <iterator>', '',
          'namespace virtd::rpc {', '']
    for name, value in proto.consts.items():
        h.append(f'inline constexpr uint32_t k{camel(name.lower())} = {value};')
    h.append('')
    for name in proto.order:
        t = proto.types[name]
        if t[0] == 'struct':
            e.struct(camel(name), t[1], h, cc)
        else:
            e.union(camel(name), t[1], t[2], h, cc)
    for p in proto.programs:
        e.program(p, h, cc)
    h.append('} // namespace virtd::rpc')
    cc.append('} // namespace virtd::rpc')
    with open(sys.argv[2], 'w') as f:
        f.write('\n'.join(h) + '\n')
    with open(sys.argv[3], 'w') as f:
        f.write('\n'.join(cc) + '\n')


if __name__ == '__main__':
    main()
