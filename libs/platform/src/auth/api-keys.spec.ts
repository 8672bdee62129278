import { issueApiKey, parseApiKey, verifySecret } from '@feedwerk/platform';

describe('employer API keys', () => {
  it('verifies the key it issued and nothing else', () => {
    const issued = issueApiKey();
    const parsed = parseApiKey(issued.apiKey);
    expect(parsed?.keyId).toBe(issued.keyId);
    expect(verifySecret(parsed!.secret, issued.salt, issued.hash)).toBe(true);
    const other = parseApiKey(issueApiKey().apiKey)!;
    expect(verifySecret(other.secret, issued.salt, issued.hash)).toBe(false);
  });

  it('never stores the secret itself', () => {
    const issued = issueApiKey();
    expect(issued.hash).not.toContain(parseApiKey(issued.apiKey)!.secret);
  });

  it.each(['', 'Bearer x', 'fwk_short_secret', `fwk_${'g'.repeat(16)}_${'a'.repeat(43)}`])(
    'rejects the malformed key %j',
    (key) => expect(parseApiKey(key)).toBeNull(),
  );
});
