namespace SrTrain.Distributed;

/// <summary>The two MPI ABIs: Open MPI's handles are addresses of exported globals (ompi_mpi_comm_world, …); MPICH's
/// (and Intel MPI's, MVAPICH's, MS-MPI's) are integer constants fixed by its mpi.h.</summary>
internal enum MpiFlavor { OpenMpi, Mpich }
