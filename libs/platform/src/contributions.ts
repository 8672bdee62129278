import { type ModulesContainer } from '@nestjs/core';

/**
 * Nest has no multi-providers: a token resolves to one provider per module. Several modules may still
 * provide the same token, each its own value (every app of the standalone process provides its
 * database schema); this reads all of them, so the platform composes what the apps contribute without
 * knowing the libs behind them. Only value providers are read: they exist before any factory runs.
 */
export function contributionsOf<T>(modules: ModulesContainer, token: symbol): T[] {
  const found: T[] = [];
  for (const module of modules.values()) {
    const wrapper = module.providers.get(token);
    if (wrapper?.instance != null) found.push(wrapper.instance as T);
  }
  return found;
}
