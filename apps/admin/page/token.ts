import { forgetToken, setToken, token } from './api';
import { byId, say } from './dom';

function showTokenState(): void {
  say('token-status', token() ? 'A token is set for this tab.' : 'No token set.', token() ? 'ok' : 'info');
}

/** The token form: the admin pastes a token once per tab, or forgets it. */
export function mountToken(): void {
  byId('token-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId('token', HTMLInputElement);
    const value = input.value.trim();
    if (value) setToken(value);
    input.value = '';
    showTokenState();
  });
  byId('token-forget', HTMLButtonElement).addEventListener('click', () => {
    forgetToken();
    showTokenState();
  });
  showTokenState();
}
