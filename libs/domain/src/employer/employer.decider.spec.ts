import { spec } from '@feedwerk/testing';
import {
  EmployerAlreadyRegisteredError,
  employerDecider,
  type EmployerEvent,
  type RegisterEmployer,
} from '@feedwerk/domain';

const T0 = new Date('2026-11-27T10:00:00Z');
const data = {
  employerId: '0b3c1f52-2b8a-4d0e-8f0d-3f8f5a1e6c22',
  name: 'Charité Pflege GmbH',
  website: 'https://example.org',
  city: 'Berlin',
};
const register = (): RegisterEmployer => ({ type: 'RegisterEmployer', data });
const registered = (): EmployerEvent => ({ type: 'EmployerRegistered', data });

describe('RegisterEmployer', () => {
  const given = spec(employerDecider).at(T0);

  it('registers a new employer', () => given().when(register()).then([registered()]));

  it('refuses to register the same employer twice', () =>
    given(registered()).when(register()).thenThrows(EmployerAlreadyRegisteredError));
});
