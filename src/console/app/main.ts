import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { claimsOf, currentToken, signIn, signOut } from './api';
import { ApprovalsPage } from './approvals-page';
import { ChainPage } from './chain-page';
import { ChartsPage } from './charts-page';
import { DecisionPage, DecisionsPage } from './decisions-page';
import { html, said } from './html';
import { finishLogin, loadOidc, startLogin, type OidcLogin } from './oidc';

const PAGES = [
  { path: '/approvals', label: 'Approvals' },
  { path: '/decisions', label: 'Decisions' },
  { path: '/charts', label: 'Charts' },
  { path: '/chain', label: 'Audit chain' },
];

// Routes live in the fragment (#/decisions/<id>): the server serves one page, and links in
// notifications (#/approvals/<id>) open the right view. Other fragments (#main) are anchors.
function route(): string {
  return location.hash.startsWith('#/') ? location.hash.slice(1) : '/approvals';
}

function SignIn(props: { onSignedIn: () => void; error: string | null }) {
  const [token, setToken] = useState('');
  const [oidc, setOidc] = useState<OidcLogin | null>(null);
  useEffect(() => {
    void loadOidc().then(setOidc, () => setOidc(null));
  }, []);
  return html`
    <main id="main">
      <h2>Sign in</h2>
      ${props.error && html`<p class="bad" role="alert">Sign-in failed: ${props.error}</p>`}
      ${
        oidc &&
        html`<p>
          <button type="button" class="primary" onClick=${() => void startLogin(oidc)}>
            Sign in with ${oidc.issuer}
          </button>
        </p>`
      }
      <p>
        ${oidc ? 'Or paste' : 'Paste'} an access token (a JWT from one of the issuers modelgate trusts). It is
        kept in this tab's session storage only and sent to this service alone.
      </p>
      <form
        aria-label="Sign in with a token"
        onSubmit=${(e: Event) => {
          e.preventDefault();
          if (token.trim()) {
            signIn(token);
            props.onSignedIn();
          }
        }}
      >
        <label for="token">Access token</label>
        <textarea
          id="token"
          name="token"
          rows="6"
          autocomplete="off"
          spellcheck="false"
          required
          value=${token}
          onInput=${(e: Event) => setToken((e.target as HTMLTextAreaElement).value)}
        ></textarea>
        <p><button type="submit" class=${oidc ? '' : 'primary'}>Sign in</button></p>
      </form>
    </main>
  `;
}

function App() {
  const [path, setPath] = useState(route());
  const [token, setTokenState] = useState(currentToken());
  const [loginError, setLoginError] = useState<string | null>(null);
  // Back from the identity provider: finish the login before anything else.
  useEffect(() => {
    void finishLogin().then((error) => {
      setLoginError(error);
      setTokenState(currentToken());
    });
  }, []);
  useEffect(() => {
    const onHash = () => {
      if (location.hash.startsWith('#/')) setPath(route());
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  // Moving to another page moves focus to its content, as a page load would for screen readers.
  useEffect(() => {
    document.getElementById('main')?.focus();
  }, [path]);

  if (!token)
    return html`<${SignIn} error=${loginError} onSignedIn=${() => setTokenState(currentToken())} />`;
  const claims = claimsOf(token) ?? {};
  const decision = /^\/decisions\/([0-9a-f-]{36})$/.exec(path);
  const page = decision
    ? html`<${DecisionPage} id=${decision[1]} />`
    : path.startsWith('/decisions')
      ? html`<${DecisionsPage} />`
      : path.startsWith('/charts')
        ? html`<${ChartsPage} />`
        : path.startsWith('/chain')
          ? html`<${ChainPage} />`
          : html`<${ApprovalsPage} />`;
  return html` <a class="skip" href="#main">Skip to content</a>
    <header>
      <h1>modelgate</h1>
      <nav aria-label="Pages">
        <ul>
          ${PAGES.map(
            (p) =>
              html`<li>
                <a href=${`#${p.path}`} aria-current=${path.startsWith(p.path) ? 'page' : undefined}
                  >${p.label}</a
                >
              </li>`,
          )}
        </ul>
      </nav>
      <span class="who">Signed in as <span class="mono">${said(claims.sub ?? 'unknown')}</span></span>
      <button
        type="button"
        onClick=${() => {
          signOut();
          setTokenState(null);
        }}
      >
        Sign out
      </button>
    </header>
    <main id="main" tabindex="-1">${page}</main>`;
}

const root = document.getElementById('app')!;
root.replaceChildren(); // the "Loading…" placeholder
render(html`<${App} />`, root);
