import { blogPostsRoutes } from '../blog-posts/blog-posts.routes';
import { candidatesRoutes } from '../candidates/candidates.routes';
import { contractRoutes } from '../contract/contract.routes';
import { employersRoutes } from '../employers/employers.routes';
import { jobsRoutes } from '../jobs/jobs.routes';
import { type ApiRoute } from './api-route';

/** Every documented route. A feature adds its `ApiRoute[]` here with one line. */
export const apiRoutes: readonly ApiRoute[] = [
  ...employersRoutes,
  ...jobsRoutes,
  ...blogPostsRoutes,
  ...candidatesRoutes,
  ...contractRoutes,
];
