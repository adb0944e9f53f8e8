// nginx njs module: nginx as an LLM gateway that asks modelgate before every model call (docs/integrations.md).
//
// `guard` (js_content on the model routes) maps the OpenAI request to a `POST /v1/decide` body as the LiteLLM
// guardrail does, but screens every field of the body, not only the content, and refuses fields it does not know;
// it asks modelgate through an internal location with the caller's own Authorization (the workload's JWT), and
// applies the answer: a deny is a 403 with the reasons and the decision id, an outage or a reply it cannot use a
// 503, an allow goes on, through an internal redirect to the provider's named location, as a body built from
// modelgate's redacted copy and the capped token limits. `reportUsage` (js_body_filter on that
// location) passes the provider's reply through unchanged and reports its token usage for the decision.
//
// Written for njs 0.7.9 (Debian bookworm's libnginx-mod-http-js): no destructuring, spread or for...of.

// How each route is described to modelgate. `fields` are every top-level field the route takes besides `model` and
// its token limits: whatever a provider reads may reach the model or be kept by the provider (tool descriptions,
// response schemas, metadata, stop sequences, `user`), so all of them go to modelgate whole, as the payload's
// `arguments` (any JSON; every key and string of it screened), and the call goes on with modelgate's redacted copy.
// A field not listed is refused: an OpenAI-compatible server may read it as content or as a token limit (vLLM's
// `documents` and `chat_template`), which modelgate would not have seen. `tokens` are the caller's output token
// limits, the cap replaces each that is set (or goes in the last). `choices` may only be 1: the cap bounds one
// choice. Embeddings' `input` is screened as modelgate's typed `input`. The lists are the openai SDK's (6.x).
var ROUTES = {
  '/v1/chat/completions': {
    operation: 'chat',
    fields: words(
      'messages prediction audio frequency_penalty function_call functions logit_bias logprobs metadata ' +
        'modalities n parallel_tool_calls presence_penalty prompt_cache_key prompt_cache_retention ' +
        'reasoning_effort response_format safety_identifier seed service_tier stop store stream stream_options ' +
        'temperature tool_choice tools top_logprobs top_p user verbosity web_search_options',
    ),
    tokens: ['max_completion_tokens', 'max_tokens'],
    choices: ['n'],
  },
  '/v1/responses': {
    operation: 'chat',
    fields: words(
      'input instructions prompt background context_management conversation include max_tool_calls metadata ' +
        'parallel_tool_calls previous_response_id prompt_cache_key prompt_cache_retention reasoning ' +
        'safety_identifier service_tier store stream stream_options temperature text tool_choice tools ' +
        'top_logprobs top_p truncation user',
    ),
    tokens: ['max_output_tokens'],
    choices: [],
  },
  '/v1/completions': {
    operation: 'completion',
    fields: words(
      'prompt suffix best_of echo frequency_penalty logit_bias logprobs n presence_penalty seed stop stream ' +
        'stream_options temperature top_p user',
    ),
    tokens: ['max_tokens'],
    choices: ['n', 'best_of'],
  },
  '/v1/embeddings': {
    operation: 'embedding',
    input: true,
    fields: words('dimensions encoding_format user'),
    tokens: [],
    choices: [],
  },
};

function words(text) {
  return text.split(' ');
}

// Internal locations of nginx.conf and the variables it declares (js_var) or sets.
var DECIDE_LOCATION = '/_modelgate/decide';
var USAGE_LOCATION = '/_modelgate/usage/';
var PROVIDER_LOCATION = '@model_provider';
var APPROVAL_HEADER = 'X-Modelgate-Approval-Id';
var DECISION_HEADER = 'X-Modelgate-Decision-Id';
var UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// The reply kept to read its usage: an OpenAI reply is far smaller; past this the usage is not reported.
var USAGE_SCAN_LIMIT = 4 * 1024 * 1024;

var ERROR_TYPES = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'modelgate_denied',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'invalid_request_error',
  503: 'modelgate_unavailable',
};

/** A refusal the gateway answers with instead of calling the model. */
function Refusal(status, message, decisionId, reasons, extra) {
  this.status = status;
  this.message = message;
  this.decisionId = decisionId || null;
  this.reasons = reasons || [];
  this.extra = extra || {};
}

/** js_content: asks modelgate about the call and refuses it, or sends it on to the provider as modelgate cleared it. */
async function guard(r) {
  try {
    var route = routeOf(r);
    var call = parseCall(r);
    var request = decideRequest(r, call, route);
    var reply = await r.subrequest(DECIDE_LOCATION, { method: 'POST', body: JSON.stringify(request) });
    var decision = readDecision(reply);
    checkObligations(r, decision);
    r.variables.modelgate_body = JSON.stringify(clearedCall(call, route, request, decision));
    r.variables.modelgate_decision_id = decision.decision_id;
    r.internalRedirect(PROVIDER_LOCATION);
  } catch (e) {
    if (e instanceof Refusal) return refuse(r, e);
    // A bug or a misconfiguration (a js_var missing from nginx.conf, say): nothing goes out.
    r.error('modelgate gateway: ' + (e && e.stack ? e.stack : String(e)));
    refuse(r, new Refusal(503, 'the modelgate gateway failed before the call was cleared'));
  }
}

function routeOf(r) {
  var route = ROUTES[r.uri];
  if (!route) throw new Refusal(404, 'the modelgate gateway does not serve ' + r.uri);
  if (r.method !== 'POST') {
    r.headersOut['Allow'] = 'POST';
    throw new Refusal(405, r.uri + ' takes POST only');
  }
  // nginx matched the location on the normalised path; the provider gets the request's own path. Refuse a path
  // that another server could read differently (percent-encoded, dot segments, doubled slashes), and a query
  // string: the provider would get it (Azure reads its api-version there), modelgate would not.
  var raw = r.variables.request_uri;
  if (raw.indexOf('?') >= 0) throw new Refusal(400, 'the modelgate gateway takes no query string: ' + raw);
  if (raw !== r.uri) throw new Refusal(400, 'the path must be written plainly: ' + r.uri);
  return route;
}

function parseCall(r) {
  // nginx keeps a body in memory up to client_body_buffer_size; above it the body is in a temporary file, which
  // njs cannot read (r.requestText throws). nginx.conf sets that size to client_max_body_size, so this is only a
  // misconfiguration.
  if (r.variables.request_body_file) {
    throw new Refusal(413, 'the request body is larger than the gateway screens (client_body_buffer_size)');
  }
  var text = r.requestText;
  var call;
  try {
    call = JSON.parse(text || '');
  } catch (e) {
    throw new Refusal(400, 'the request body is not JSON');
  }
  if (call === null || typeof call !== 'object' || Array.isArray(call)) {
    throw new Refusal(400, 'the request body must be a JSON object');
  }
  return call;
}

function decideRequest(r, call, route) {
  checkFields(call, route);
  var invocation = { model: call.model, operation: route.operation };
  invocation.provider = r.variables.modelgate_provider || 'openai';
  if (r.variables.modelgate_purpose) invocation.purpose = r.variables.modelgate_purpose;
  var maxTokens = requestedTokens(call, route);
  if (maxTokens !== undefined) invocation.max_tokens = maxTokens;
  var tools = toolNames(call);
  if (tools.length > 0) invocation.tools = tools;
  var request = { invocation: invocation, payload: contentPayload(call, route) };
  var context = configuredContext(r);
  if (context) request.context = context;
  var approvalId = r.headersIn[APPROVAL_HEADER];
  if (approvalId !== undefined) {
    if (!UUID.test(approvalId.trim())) {
      throw new Refusal(
        400,
        'the ' + APPROVAL_HEADER + ' header must be the id (a UUID) of the approval an earlier denial named',
      );
    }
    request.approval_id = approvalId.trim().toLowerCase();
  }
  return request;
}

// Refuses what the policy would not see or the cap would not bound: a model that is not a name, a field the route
// does not know, more than one choice.
function checkFields(call, route) {
  if (typeof call.model !== 'string' || call.model === '') {
    throw new Refusal(400, 'model must be the name of a model');
  }
  var unknown = Object.keys(call).filter(function (field) {
    var known = field === 'model' || (field === 'input' && route.input);
    return !known && route.fields.indexOf(field) < 0 && route.tokens.indexOf(field) < 0;
  });
  if (unknown.length > 0) {
    throw new Refusal(400, 'the modelgate gateway does not screen the field ' + unknown.join(', '));
  }
  route.choices.forEach(function (field) {
    if (isSet(call[field]) && call[field] !== 1) {
      throw new Refusal(400, field + ' must be 1: the token cap bounds one choice');
    }
  });
  // Its answer and usage come later from GET /v1/responses/{id}, which the gateway does not serve: the usage would
  // never be reported.
  if (call.background === true) {
    throw new Refusal(400, 'background responses are not served: their usage could not be reported');
  }
}

// The largest token limit the call sets: each is refused unless a positive integer, since a provider may read a
// string ("100000") or the field the cap did not go into.
function requestedTokens(call, route) {
  var most;
  route.tokens.forEach(function (field) {
    if (!isSet(call[field])) return;
    if (!Number.isInteger(call[field]) || call[field] < 1) {
      throw new Refusal(400, field + ' must be a positive integer');
    }
    if (most === undefined || call[field] > most) most = call[field];
  });
  return most;
}

function isSet(value) {
  return value !== undefined && value !== null;
}

// Every field of the call but the model and the token limits, as the payload's arguments; an embedding's input as
// the typed input, beside them. Token ids cannot be screened: refused rather than sent unread.
function contentPayload(call, route) {
  var payload = {};
  if (route.input) {
    if (!isText(call.input))
      throw new Refusal(400, 'the modelgate gateway screens text embeddings only, not token ids');
    payload.input = call.input;
  }
  if (route.fields.indexOf('messages') >= 0 && !Array.isArray(call.messages)) {
    throw new Refusal(400, 'a chat call without a list of messages cannot be screened');
  }
  if (route.operation === 'completion' && !isText(call.prompt)) {
    throw new Refusal(400, 'the modelgate gateway screens text prompts only, not token ids');
  }
  var content = {};
  route.fields.forEach(function (field) {
    if (call[field] !== undefined) content[field] = call[field];
  });
  if (Object.keys(content).length > 0) payload.arguments = content;
  return payload;
}

function isText(value) {
  return (
    typeof value === 'string' ||
    (Array.isArray(value) &&
      value.every(function (item) {
        return typeof item === 'string';
      }))
  );
}

// Every tool's names: chat's tools[].function.name, Responses' tools[].name, legacy functions[].name, a built-in
// tool's type, and the tools a namespace groups. A tool is named by each of these it carries, since providers read
// different ones (a server that ignores `function` runs the Responses-style `name`), and a built-in tool by its
// type too, whatever name it is given. A tool it cannot name is refused: the policy must see every tool.
function toolNames(call) {
  var names = [];
  function visit(tool) {
    var t = tool !== null && typeof tool === 'object' ? tool : {};
    // A function or custom tool, and a namespace of them, is named by its names alone: its type would let any such
    // tool pass as "function".
    var userDefined =
      t.function !== undefined ||
      t.custom !== undefined ||
      t.type === 'function' ||
      t.type === 'custom' ||
      t.type === 'namespace';
    var found = [nameOf(t.function), nameOf(t.custom), t.name].filter(isSet);
    if (!userDefined && isSet(t.type)) found.push(t.type);
    if (found.length === 0 || found.some(isNotName)) {
      throw new Refusal(400, 'a tool without a name or type cannot be checked by the policy');
    }
    found.forEach(function (name) {
      if (names.indexOf(name) < 0) names.push(name);
    });
    if (Array.isArray(t.tools)) t.tools.forEach(visit);
  }
  ['tools', 'functions'].forEach(function (field) {
    if (!isSet(call[field])) return;
    if (!Array.isArray(call[field]))
      throw new Refusal(400, field + ' must be a list for the policy to check it');
    call[field].forEach(visit);
  });
  // Chat's web_search_options gives the model web search without listing it in tools: named as the Responses
  // built-in tool is.
  if (isSet(call.web_search_options) && names.indexOf('web_search') < 0) names.push('web_search');
  return names.map(function (name) {
    return { name: name };
  });
}

function isNotName(value) {
  return typeof value !== 'string' || value === '';
}

function nameOf(value) {
  return value !== null && typeof value === 'object' ? value.name : undefined;
}

function configuredContext(r) {
  var text = r.variables.modelgate_context;
  if (!text) return null;
  try {
    var context = JSON.parse(text);
    if (context !== null && typeof context === 'object' && !Array.isArray(context)) return context;
  } catch (e) {
    // reported below
  }
  throw new Error('$modelgate_context must be a JSON object');
}

// The decision, or a Refusal: 401 for a token modelgate refused (it is the caller's), 403 for any other 4xx and for
// a deny, 503 for anything else: no answer, not JSON, a 5xx, a 200 that is not a decision.
function readDecision(reply) {
  // nginx's own 502 and 504 pages (modelgate unreachable, too slow) are HTML: not parsed, since a failed parse
  // costs an exception (and njs 0.7.9 logs deprecation warnings while it builds one).
  var json = /^application\/json\b/.test(reply.headersOut['Content-Type'] || '');
  var body = json ? parseObject(reply.responseText) : null;
  if (!body) throw new Refusal(503, 'modelgate did not answer (HTTP ' + reply.status + ')');
  var id = body.decision_id;
  var reasons = Array.isArray(body.reasons) ? body.reasons : [];
  if (reply.status === 401) {
    var challenge = reply.headersOut['WWW-Authenticate'];
    throw new Refusal(401, 'modelgate refused the token', id, reasons, { challenge: challenge });
  }
  if ((reply.status >= 400 && reply.status < 500) || (reply.status === 200 && body.allow === false)) {
    throw new Refusal(403, 'modelgate denied the call', id, reasons, { approval: body.approval });
  }
  if (reply.status !== 200 || body.allow !== true || typeof id !== 'string') {
    throw new Refusal(503, 'modelgate could not decide (HTTP ' + reply.status + ')', id, reasons);
  }
  return body;
}

// An allow carrying an obligation the gateway does not fulfil is refused: a policy's obligation that nobody
// fulfils would be a silent allow. $modelgate_accept_obligations (comma-separated) names types fulfilled elsewhere.
function checkObligations(r, decision) {
  var enforced = ['redact', 'cap_tokens'].concat(
    String(r.variables.modelgate_accept_obligations || '')
      .split(',')
      .map(function (name) {
        return name.trim();
      })
      .filter(Boolean),
  );
  var obligations = Array.isArray(decision.obligations) ? decision.obligations : [null];
  var unenforced = obligations.filter(function (o) {
    return o === null || typeof o !== 'object' || enforced.indexOf(o.type) < 0;
  });
  if (unenforced.length > 0) {
    var names = unenforced
      .map(function (o) {
        return o !== null && typeof o === 'object' ? String(o.type) : 'malformed';
      })
      .join(', ');
    var reason = {
      code: 'obligation_not_enforced',
      message: "the gateway cannot fulfil the policy's obligations: " + names,
    };
    throw new Refusal(403, 'modelgate allowed the call with obligations', decision.decision_id, [reason]);
  }
}

// The call to send: the model, modelgate's redacted copy of every field it screened, and the token limits the
// caller set, each replaced by the cap (or the cap in the route's last token field). Built afresh, so that nothing
// of the caller's body goes out unless modelgate cleared it. An allow without the redacted copy is refused.
function clearedCall(call, route, request, decision) {
  var redacted = decision.redacted_payload;
  var missing = new Refusal(
    503,
    'modelgate allowed the call without the redacted content',
    decision.decision_id,
  );
  if (redacted === null || typeof redacted !== 'object') throw missing;
  var out = { model: call.model };
  if (route.input) {
    if (redacted.input === undefined) throw missing;
    out.input = redacted.input;
  }
  var sent = request.payload.arguments;
  if (sent !== undefined) {
    var cleared = redacted.arguments;
    if (cleared === null || typeof cleared !== 'object') throw missing;
    Object.keys(sent).forEach(function (field) {
      if (!Object.prototype.hasOwnProperty.call(cleared, field)) throw missing;
      out[field] = cleared[field];
    });
  }
  capTokens(out, call, route, decision);
  return out;
}

function capTokens(out, call, route, decision) {
  var set = route.tokens.filter(function (field) {
    return isSet(call[field]);
  });
  set.forEach(function (field) {
    out[field] = call[field];
  });
  if (!Number.isInteger(decision.max_tokens) || route.tokens.length === 0) return;
  if (set.length === 0) set = [route.tokens[route.tokens.length - 1]];
  set.forEach(function (field) {
    out[field] = decision.max_tokens;
  });
}

// Writes the refusal as an OpenAI-style error, so that OpenAI clients show its message; `error.modelgate` holds
// the decision id, the reasons and any pending approval, as the LiteLLM guardrail's refusals do.
function refuse(r, refusal) {
  var codes = refusal.reasons
    .map(function (reason) {
      return reason !== null && typeof reason === 'object' ? reason.code : undefined;
    })
    .filter(Boolean);
  var message = refusal.message + (codes.length ? ' (' + codes.join(', ') + ')' : '');
  if (refusal.decisionId) message += '; decision ' + refusal.decisionId;
  var modelgate = { decision_id: refusal.decisionId, reasons: refusal.reasons };
  var approval = refusal.extra.approval;
  if (approval !== null && typeof approval === 'object') {
    modelgate.approval = approval;
    message +=
      '; approval ' +
      approval.id +
      ' is ' +
      (approval.status || 'pending') +
      ': once approved, repeat the request with the ' +
      APPROVAL_HEADER +
      ' header set to it';
  }
  if (refusal.extra.challenge) r.headersOut['WWW-Authenticate'] = refusal.extra.challenge;
  if (refusal.decisionId) r.headersOut[DECISION_HEADER] = refusal.decisionId;
  r.headersOut['Content-Type'] = 'application/json';
  var error = {
    message: message,
    type: ERROR_TYPES[refusal.status] || 'modelgate_error',
    code: codes[0] || null,
    param: null,
    modelgate: modelgate,
  };
  r.return(refusal.status, JSON.stringify({ error: error }));
}

/**
 * js_body_filter (buffer_type=buffer) on the provider's location: passes every chunk on as it comes, unchanged,
 * and after the last reports the reply's token usage for the decision. A JSON reply's `usage`; in a stream of
 * server-sent events, the last event with a `usage` (chat sends one when the caller sets
 * stream_options.include_usage; Responses' response.completed carries one).
 */
function reportUsage(r, data, flags) {
  r.sendBuffer(data, flags);
  var state = usageState(r);
  if (!state.done) {
    state.size += data.length;
    if (state.size > USAGE_SCAN_LIMIT) {
      state.done = true;
      r.warn('modelgate gateway: reply too large to read its usage; decision ' + state.decisionId);
    } else {
      state.chunks.push(data);
    }
  }
  if (flags.last && !state.done) {
    state.done = true;
    sendUsageReport(r, state);
  }
}

// njs runs each request in its own copy of the module, so this is the state of one reply.
var usageScan = null;

function usageState(r) {
  if (!usageScan) {
    usageScan = {
      chunks: [],
      size: 0,
      // Only a successful reply is billed; nothing to report without a decision.
      done: r.status !== 200 || !UUID.test(r.variables.modelgate_decision_id || ''),
      decisionId: r.variables.modelgate_decision_id,
    };
  }
  return usageScan;
}

function sendUsageReport(r, state) {
  var usage = usageOf(Buffer.concat(state.chunks).toString());
  if (!usage) return;
  var report = {
    input_tokens: firstCount(usage, ['prompt_tokens', 'input_tokens']),
    output_tokens: firstCount(usage, ['completion_tokens', 'output_tokens']),
  };
  // Detached: nginx sends it after the reply without waiting for modelgate's answer, which the usage location logs.
  r.subrequest(USAGE_LOCATION + state.decisionId, {
    method: 'POST',
    body: JSON.stringify(report),
    detached: true,
  });
}

function usageOf(text) {
  if (text.charAt(0) === '{') {
    var whole = parseObject(text);
    return whole && usageIn(whole);
  }
  var usage = null;
  text.split('\n').forEach(function (line) {
    // Only events that are JSON objects: not `data: [DONE]`.
    var data = /^data: ?(\{.*)$/.exec(line);
    var event = data && parseObject(data[1]);
    var found = event && usageIn(event);
    if (found) usage = found;
  });
  return usage;
}

function usageIn(body) {
  var usage = body.usage || (body.response && body.response.usage);
  return usage !== null && typeof usage === 'object' ? usage : null;
}

function parseObject(text) {
  try {
    var value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch (e) {
    return null;
  }
}

function firstCount(usage, names) {
  for (var i = 0; i < names.length; i++) {
    if (Number.isInteger(usage[names[i]])) return usage[names[i]];
  }
  return 0;
}

export default { guard: guard, reportUsage: reportUsage };
